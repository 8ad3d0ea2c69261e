export { writeFileAtomic } from './atomicWrite';
export { decodeJson, decodeJsonAs, encodeJson } from '../common/json';
export {
  deleteRun,
  effectiveSummary,
  isRunDir,
  listRuns,
  markRunEnded,
  readEpochs,
  readJsonFile,
  readRun,
  RunWriter,
  TERMINAL_STATUSES,
} from './store';
export type { EpochRecord, RunInfo, RunStatus, RunSummary } from './store';
export { loadCheckpoint, saveCheckpoint } from './checkpoint';
export { COMPARED_METRICS, formatStat, summarizeComparison } from './compare';
export type { ComparedRun, ComparisonSummary, PairedDifference, Stat } from './compare';
export { comparisonReport, errorOverlay, predictionNames } from './report';
export { categoryChart, lineChart } from './svgCharts';
export type { ReportInput } from './report';
