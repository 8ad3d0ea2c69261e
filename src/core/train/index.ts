export { learningRateAt, loadDataset, setLearningRate, trainRun } from './trainer';
export type { TrainEvent, TrainOptions } from './trainer';
export { decide, lossTarget, predictLogits, validate } from './predict';
export type { PredictContext, Prediction, ValidationResult } from './predict';
