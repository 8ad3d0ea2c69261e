/** Sweeps from the editor: Run Sweep… (quick picks for losses, heads, seeds) and Open Sweep. */
import * as vscode from 'vscode';
import { lossDefinitions } from '../../core/losses/registry';
import { HEADS } from '../../core/model/unet';
import type { SweepAxis } from '../../core/runs/sweep';
import { readSettings } from '../host/settings';
import { CommandContext } from '../host/commandContext';
import { pickConfig, requireTrust } from '../host/prompts';
import { SweepView } from './sweepView';

/** The answers of Run Sweep's quick picks (also accepted as an argument, for scripts and tests). */
export interface SweepPreset {
  losses: string[];
  heads: string[];
  seeds: number;
  /** Runs at a time (default: the seglab.maxParallelRuns setting). */
  parallel?: number;
  /**
   * Tune the learning rate per cell: this many Sobol trials of log 3·10⁻⁴…10⁻² with the config's seed,
   * ASHA within each cell, then `seeds` fresh seeds at each cell's best (0 or absent: the config's rate).
   */
  tuneTrials?: number;
}

const FIRST_LOSSES = ['bce', 'dice', 'bce+dice', 'focal', 'lovaszHinge', 'tversky'];

async function askPreset(): Promise<SweepPreset | undefined> {
  const names = [
    ...FIRST_LOSSES,
    ...lossDefinitions()
      .map((d) => d.name)
      .filter((n) => !FIRST_LOSSES.includes(n)),
  ];
  const losses = await vscode.window.showQuickPick(
    names.map((n) => ({ label: n, picked: ['bce', 'dice', 'bce+dice'].includes(n) })),
    { title: 'SegLab sweep (1/4): losses (written for the sigmoid head; mapped for softmax heads)', canPickMany: true },
  );
  if (!losses || losses.length === 0) return undefined;
  const heads = await vscode.window.showQuickPick(
    HEADS.map((h) => ({ label: h, picked: h === 'sigmoid1' || h === 'softmax2' })),
    { title: 'SegLab sweep (2/4): heads', canPickMany: true },
  );
  if (!heads || heads.length === 0) return undefined;
  const seeds = await vscode.window.showQuickPick(
    [
      { label: '3', description: 'enough for a first paired comparison', value: 3 },
      { label: '5', description: 'narrower intervals', value: 5 },
      { label: '1', description: 'one seed: no conclusion about differences is possible', value: 1 },
      { label: '2', value: 2 },
    ],
    { title: 'SegLab sweep (3/4): seeds per cell' },
  );
  if (!seeds) return undefined;
  const rate = await vscode.window.showQuickPick(
    [
      { label: "The config's learning rate", description: 'every cell trains at it', value: 0 },
      {
        label: 'Tuned per cell',
        description: "4 rates in 3e-4…1e-2 (Sobol) per cell, early stopping (ASHA), then the seeds at each cell's best",
        value: 4,
      },
    ],
    { title: 'SegLab sweep (4/4): learning rate — a loss compared at one rate is compared at the rate that suits one of them' },
  );
  if (!rate) return undefined;
  return {
    losses: losses.map((l) => l.label),
    heads: heads.map((h) => h.label),
    seeds: seeds.value,
    ...(rate.value ? { tuneTrials: rate.value } : {}),
  };
}

export function registerSweepCommands(c: CommandContext, view: SweepView): void {
  c.register('seglab.runSweep', async (uri?: vscode.Uri, preset?: SweepPreset) => {
    requireTrust();
    const file = await pickConfig(c, uri);
    if (!file) return undefined;
    const p = preset ?? (await askPreset());
    if (!p) return undefined;
    const axes: SweepAxis[] = [];
    if (p.losses.length) axes.push({ key: 'loss', values: p.losses });
    if (p.heads.length) axes.push({ key: 'head', values: p.heads });
    const s = readSettings();
    const entry = c.model.configs.find((e) => e.uri.fsPath === file.fsPath);
    const dir = await c.jobs.sweep(
      {
        configFile: file.fsPath,
        axes,
        seedCount: p.seeds,
        ...(p.tuneTrials ? { tuneTrials: p.tuneTrials } : {}),
        parallel: p.parallel ?? s.maxParallelRuns,
        backend: s.backend === 'auto' ? undefined : s.backend,
        runsDir: entry?.runsDir,
      },
      (sweepDir) => view.show(sweepDir),
    );
    await c.model.refresh();
    if (dir) view.show(dir);
    return dir;
  });
  // From the tree item's click: the folder; from its inline button: the tree node.
  c.register('seglab.openSweep', async (arg?: string | { kind?: string; sweep?: { dir?: string } }) => {
    let target = typeof arg === 'string' ? arg : arg?.kind === 'sweep' ? arg.sweep?.dir : undefined;
    if (!target) {
      await c.model.refresh();
      const items = c.model.configs.flatMap((e) =>
        e.sweeps.map((s) => ({
          label: s.id,
          description: s.sweep ? `${s.sweep.status} · ${s.sweep.progress.done}/${s.sweep.progress.total} runs` : s.problem,
          dir: s.dir,
        })),
      );
      if (items.length === 0) throw new Error('no sweeps yet; run one with "SegLab: Run Sweep…" or `seglab sweep`');
      target = (await vscode.window.showQuickPick(items, { title: 'SegLab: open a sweep' }))?.dir;
    }
    if (target) view.show(target);
    return target;
  });
}
