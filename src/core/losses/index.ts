export * from './types';
export { compileLoss, getLoss, lossDefinitions, lossNames, resolveOptions } from './registry';
export type { CompiledLoss } from './registry';
export { computeLoss, lossGradient, lossInputFromArrays } from './compute';
export type { LossData } from './compute';
export { stableSoftplus, probabilities } from './soft';
export { lossCurves } from './curves';
export type { LossCurve } from './curves';
