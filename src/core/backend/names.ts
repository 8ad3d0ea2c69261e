/**
 * The TensorFlow.js backends SegLab can run on, in `auto`'s order of preference. Names only: this
 * module imports nothing, so the config checker and the extension's settings can name a backend
 * without loading one. The config schema's and package.json's enums are checked against it
 * (configSchema.test.ts).
 */
export const BACKEND_NAMES = ['webgpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];
/** What a config, SEGLAB_BACKEND or the seglab.backend setting may ask for. */
export type BackendChoice = 'auto' | BackendName;
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', ...BACKEND_NAMES];

export function isBackendChoice(value: unknown): value is BackendChoice {
  return typeof value === 'string' && (BACKEND_CHOICES as readonly string[]).includes(value);
}
