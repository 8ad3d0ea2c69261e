export { defaultEnginePath, startTraining } from './client';
export type { JobResult, StartOptions, TrainingJob } from './client';
export type { EngineMessage, EngineRequest } from './protocol';
export { runComparison } from './compare';
export type { CompareOptions, ComparisonHandle, ComparisonResult } from './compare';
