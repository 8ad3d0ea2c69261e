export { distanceTransform, squaredDistanceTransform } from '../common/edt';
export { labelComponents } from './label';
export type { Connectivity, Labelling } from './label';
export { classBalanceWeights, instanceLabels, unetBorderTerm, unetWeightMap } from './unetWeightMap';
export type { UnetWeightMapOptions } from './unetWeightMap';
