export { trainRun } from './trainer';
export { loadDataset } from './start';
export { learningRateAt, setLearningRate } from './optimizer';
export type { TrainEvent, TrainOptions } from './trainer';
export { decide, lossTarget, predictLogits, validate } from './predict';
export type { PredictContext, Prediction, ValidationResult } from './predict';
