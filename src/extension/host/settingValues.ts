/**
 * SegLab's settings as typed values: every value read from VS Code's configuration (user or workspace
 * settings.json, where anything can be written) is checked against its type and range; a bad value
 * falls back to the default and is reported once, naming the setting. No vscode import, so the unit
 * tests check it directly.
 */
import { BACKEND_CHOICES, BackendChoice, isBackendChoice } from '../../core/backend/names';

export interface SegLabSettings {
  backend: BackendChoice;
  /** Overrides each config's runsDir when set (relative to the workspace folder). */
  runsFolder: string;
  defaultThreshold: number;
  maxParallelRuns: number;
  /** A folder where tfjs-node was installed (SegLab: Install TensorFlow Native Backend); '' for none. */
  tfjsNodePath: string;
  /** A folder where the webgpu package was installed (SegLab: Install GPU Support); '' for none. */
  webgpuPath: string;
}

export const DEFAULT_SETTINGS: SegLabSettings = {
  backend: 'auto',
  runsFolder: '',
  defaultThreshold: 0.5,
  maxParallelRuns: 2,
  tfjsNodePath: '',
  webgpuPath: '',
};

/** Typed settings from raw values (undefined = not set), and a message per value that was not usable. */
export function checkSettings(get: (key: keyof SegLabSettings) => unknown): { settings: SegLabSettings; problems: string[] } {
  const problems: string[] = [];
  const pick = <T>(key: keyof SegLabSettings, ok: (v: unknown) => boolean, expected: string): T => {
    const v = get(key);
    if (v === undefined || v === null) return DEFAULT_SETTINGS[key] as T;
    if (ok(v)) return v as T;
    problems.push(`seglab.${key}: ${JSON.stringify(v)} is not ${expected}; using ${JSON.stringify(DEFAULT_SETTINGS[key])}`);
    return DEFAULT_SETTINGS[key] as T;
  };
  const settings: SegLabSettings = {
    backend: pick('backend', isBackendChoice, `one of ${BACKEND_CHOICES.join(', ')}`),
    runsFolder: pick<string>('runsFolder', (v) => typeof v === 'string', 'a string').trim(),
    defaultThreshold: pick('defaultThreshold', (v) => typeof v === 'number' && v >= 0 && v <= 1, 'a number in [0, 1]'),
    maxParallelRuns: pick(
      'maxParallelRuns',
      (v) => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 32,
      'an integer in [1, 32]',
    ),
    tfjsNodePath: pick<string>('tfjsNodePath', (v) => typeof v === 'string', 'a string').trim(),
    webgpuPath: pick<string>('webgpuPath', (v) => typeof v === 'string', 'a string').trim(),
  };
  return { settings, problems };
}
