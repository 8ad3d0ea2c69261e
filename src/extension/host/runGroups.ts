/**
 * Which experiment config each run belongs to in the sidebar. Several configs can share a runs folder
 * (two configs in one folder, or the seglab.runsFolder setting); every run is shown once, under the
 * config it records (summary.configFile), else (runs from before that was recorded, or from a config
 * file that is gone) the config whose name its run name starts with, else the first config using
 * that folder. No vscode import, so unit tests check it.
 */
import * as path from 'path';

export interface ConfigPlace {
  /** The config file (absolute). */
  file: string;
  /** Its experiment name (config.name). */
  name: string;
  runsDir: string;
}

export interface RunLike {
  summary: { configFile?: string; name?: string } | null;
}

/** The runs of each config, in the order of `configs`; `runsIn(dir)` lists a runs folder (read once per folder). */
export function assignRuns<R extends RunLike>(configs: readonly ConfigPlace[], runsIn: (dir: string) => R[]): R[][] {
  const out = configs.map((): R[] => []);
  const byDir = new Map<string, number[]>();
  configs.forEach((c, i) => {
    const key = path.resolve(c.runsDir);
    byDir.set(key, [...(byDir.get(key) ?? []), i]);
  });
  for (const [dir, members] of byDir) {
    for (const run of runsIn(dir)) {
      const recorded = run.summary?.configFile;
      const byFile = recorded ? members.find((i) => path.resolve(configs[i].file) === path.resolve(recorded)) : undefined;
      const byName = members.find((i) => run.summary?.name?.startsWith(`${configs[i].name}-`));
      out[byFile ?? byName ?? members[0]].push(run);
    }
  }
  return out;
}
