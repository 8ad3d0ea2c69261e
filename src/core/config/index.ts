export {
  ConfigError,
  configLossNames,
  EXPERIMENT_SCHEMA,
  loadConfig,
  lossForHead,
  parseJson,
  resolvePaths,
  starterConfig,
  validateConfig,
} from './config';
export type { ConfigProblem, DatasetConfig, ExperimentConfig, LossConfig, MetricName, MonitorName } from './config';
