/**
 * SegLab's core, the public API for scripts (`require('seglab/dist/core.js')`), the CLI, the engine
 * and the extension. Plain TypeScript + TensorFlow.js; never imports 'vscode'.
 */
export * from './losses';
export * from './metrics';
export * from './weightmap';
export { activeBackend, BACKEND_NAMES, initBackend } from './backend/backend';
export type { BackendChoice, BackendInfo, BackendName } from './backend/backend';
export { closestName, didYouMean } from './common/suggest';
export * from './data';
export * from './runs';

import { initBackend } from './backend/backend';
/** Selects the fastest available backend (a hardware GPU through WebGPU, else tfjs-node, else wasm, else
 * cpu); `computeLoss` works before it too, on the cpu backend. On webgpu use `computeLossAsync`. */
export const ready = initBackend;
export * from './config';
export * from './model';
export * from './train';
