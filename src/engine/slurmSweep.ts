/**
 * Sweeps on a Slurm cluster: the same grid, runs and sweep.json as a local sweep, but each (cell,
 * seed) is an array task of an sbatch job running `seglab train` on the variant's config (written to
 * configs/<task>.json in the sweep folder, on the file system the cluster shares). Nothing watches
 * the job: `refreshSweep` reads the run folders, squeue and the tasks' logs whenever asked (status,
 * --wait, the VS Code sweep view) and rewrites sweep.json; the report is written once all have ended.
 */
import * as fs from 'fs';
import * as path from 'path';
import { encodeJson } from '../core/common/json';
import { makeDirs, writeFileAtomic } from '../core/runs/atomicWrite';
import { effectiveSummary, listRuns, restateRunEnding, RunSummary, settleStaleRuns } from '../core/runs/store';
import { gridCells, SweepFile, SweepRunRecord, tuningCells, TUNING_ENDED } from '../core/runs/sweep';
import { sweepReport } from '../core/runs/sweepReport';
import { readSweepFile, writeSweep } from '../core/runs/sweepStore';
import { defaultEnginePath } from './client';
import { cancelJobs, checkSlurmOptions, queueStates, sbatchScript, SlurmOptions, slurmEnding, SlurmTool, slurmTool, submit } from './slurm';
import {
  carryOver,
  comparedRuns,
  endState,
  openSweepFolder,
  pendingFinals,
  planSweep,
  resultsWithTuning,
  SweepJob,
  SweepOptions,
  SweepPlan,
  sweepSnapshot,
  tunedCells,
  withPruning,
} from './sweep';

export interface SlurmSweepOptions extends Pick<
  SweepOptions,
  'configFile' | 'axes' | 'seeds' | 'backend' | 'runsDir' | 'fresh' | 'parallel' | 'search' | 'prune' | 'tune'
> {
  slurm: SlurmOptions;
  /** false: a failed tuning run counts as ended (--wait's follow-up submission); a user's re-run retries it. */
  retryFailed?: boolean;
  /** Write the script and configs, do not submit (the user runs `sbatch` on the script). */
  dryRun?: boolean;
  tool?: SlurmTool;
}

export interface SlurmSubmission {
  dir: string;
  script: string;
  /** null with --dry-run. */
  jobId: string | null;
  /** Array tasks submitted now (indices into the sweep's runs). */
  tasks: number[];
  /** Runs kept from before (finished, or still queued or running on the cluster). */
  kept: number;
  sweep: SweepFile;
}

const ACTIVE = ['pending', 'running'];

/** dist/cli.js of this installation: what each array task runs. */
function cliPath(): string {
  return path.join(path.dirname(defaultEnginePath()), 'cli.js');
}

/** A run on the cluster now (queued or running, submitted). */
const onCluster = (r: SweepRunRecord) => r.slurm !== undefined && r.slurm.jobId !== null && ACTIVE.includes(r.status);
/** Finished and pruned runs are not submitted again (a pruned run ended as its rule said). */
const settled = (r: SweepRunRecord) => r.status === 'done' || r.status === 'pruned';

export const AWAITS_COMPARISON =
  'the tuning has ended: run the same sweep command again to submit the compared runs (with --wait it does so itself)';

/**
 * Whether a tuned Slurm sweep has ended its tuning but not submitted its compared runs (the same
 * command, or --wait, submits them).
 */
export function awaitsComparison(sweep: Pick<SweepFile, 'tuning' | 'runs'>): boolean {
  return (
    sweep.tuning !== undefined &&
    sweep.tuning.runs.every((r) => TUNING_ENDED.includes(r.status)) &&
    sweep.runs.every((r) => !r.slurm && r.status === 'pending')
  );
}

/**
 * The records as they stand and the tasks to submit now. A tuned sweep submits its tuning first; once
 * every tuning run has ended (failed ones are retried when the user re-runs the command, not by --wait's
 * follow-up), the compared runs at each cell's chosen setting.
 */
function submissionPlan(
  o: SlurmSweepOptions,
  plan: SweepPlan,
  previous: SweepFile | undefined,
): { tuneRecords: SweepRunRecord[]; records: SweepRunRecord[]; finals: (SweepJob | undefined)[]; tasks: number[] } {
  // Queued or running on the cluster: left alone (not submitted twice).
  const keepBefore = (before: SweepRunRecord | undefined, job: SweepJob): SweepRunRecord =>
    before?.slurm && ACTIVE.includes(before.status) ? before : carryOver(before, job);
  const keep = (list: SweepRunRecord[] | undefined, job: SweepJob) =>
    keepBefore(
      list?.find((r) => r.cell === job.cell && r.seed === job.seed),
      job,
    );
  const tuneRecords = plan.tuneJobs.map((job) => keep(previous?.tuning?.runs, job));
  const tuneTodo = tuneRecords
    .map((r, i) => (settled(r) || onCluster(r) || (o.retryFailed === false && r.status === 'failed') ? -1 : i))
    .filter((i) => i >= 0);
  const tuningOver = o.tune !== undefined && tuneTodo.length === 0 && !tuneRecords.some(onCluster);
  let finals: (SweepJob | undefined)[] = o.tune ? [] : plan.jobs;
  let records: SweepRunRecord[] = o.tune ? pendingFinals(plan, o.tune.thenSeeds) : plan.jobs.map((job) => keep(previous?.runs, job));
  if (o.tune && tuningOver) ({ jobs: finals, records } = comparedRuns(plan, o, tuneRecords, previous, keepBefore));
  const T = plan.tuneJobs.length;
  const tasks = [
    ...tuneTodo,
    ...finals.map((job, i) => (job && !settled(records[i]) && !onCluster(records[i]) ? T + i : -1)).filter((t) => t >= 0),
  ];
  return { tuneRecords, records, finals, tasks };
}

export function submitSweep(o: SlurmSweepOptions): SlurmSubmission {
  checkSlurmOptions(o.slurm);
  const tool = o.tool ?? slurmTool;
  const plan = planSweep(o);
  const { dir, id, previous } = openSweepFolder(plan.baseConfig.runsDir, plan, Boolean(o.fresh), (d) => refreshSweep(d, tool));
  const { tuneRecords, records, finals, tasks } = submissionPlan(o, plan, previous);
  // Task numbers: the tuning runs first, then the compared runs.
  const T = plan.tuneJobs.length;
  const jobAt = (t: number) => (t < T ? plan.tuneJobs[t] : finals[t - T]!);
  const submissions = [...(previous?.slurm?.submissions ?? [])];
  const submittedAt = new Date().toISOString();
  let jobId: string | null = null;
  let script = '';
  if (tasks.length > 0) {
    makeDirs(path.join(dir, 'configs'));
    makeDirs(path.join(dir, 'slurm'));
    // With --prune, each task's config carries the ASHA rule and the sweep's asha/ folder (shared with the
    // nodes); a tuned sweep prunes its tuning runs only.
    for (const t of tasks) {
      const prune = o.tune && t >= T ? undefined : plan.prune;
      writeFileAtomic(path.join(dir, 'configs', `${t}.json`), encodeJson(withPruning(jobAt(t), prune, dir).config) + '\n');
    }
    script = path.join(dir, `submit-${submissions.length + 1}.sbatch`);
    const describe = (t: number) => `${t < T ? 'tuning ' : ''}${jobAt(t).cell} seed ${jobAt(t).seed}`;
    writeFileAtomic(
      script,
      sbatchScript({
        name: plan.baseConfig.name,
        sweepDir: dir,
        tasks,
        describe,
        runName: (t) => jobAt(t).config.name,
        node: process.execPath,
        cli: cliPath(),
        origin: path.resolve(o.configFile),
        parallel: o.parallel,
        options: o.slurm,
      }),
    );
    fs.chmodSync(script, 0o755);
    if (!o.dryRun) jobId = submit(script, tool);
    submissions.push({ jobId, script, tasks, submittedAt });
    for (const t of tasks) {
      const job = jobAt(t);
      const record: SweepRunRecord = {
        cell: job.cell,
        seed: job.seed,
        status: 'pending',
        slurm: { jobId, task: t, runName: job.config.name, submittedAt },
      };
      if (t < T) tuneRecords[t] = record;
      else records[t - T] = record;
    }
  }
  const slurm = { options: o.slurm, submissions };
  const fixed = { id, createdAt: previous?.createdAt ?? submittedAt, parallel: o.parallel ?? 0, slurm };
  const everything = [...tuneRecords, ...records];
  const active = everything.some((r) => ACTIVE.includes(r.status));
  const { status, reason } = active
    ? { status: 'running' as const, reason: undefined }
    : endState([...tuneRecords.filter((r) => r.status === 'cancelled'), ...records]);
  const tuning = o.tune ? { records: tuneRecords, cells: tunedCells(plan, tuneRecords, plan.baseConfig.monitor, o) } : undefined;
  const sweep = sweepSnapshot(
    o,
    plan,
    fixed,
    records,
    status,
    o.dryRun && tasks.length ? `written, not submitted (--dry-run): sbatch ${script}` : reason,
    tuning,
  );
  writeSweep(dir, sweep);
  if (!active) writeFileAtomic(path.join(dir, 'report.html'), sweepReport(sweep));
  return { dir, script, jobId, tasks, kept: everything.length - tasks.length, sweep };
}

/** The newest run of this name started at or after `since` (a resubmitted task makes a new run). */
function findRun(
  runs: ReturnType<typeof listRuns>,
  name: string,
  since: string,
): { dir: string; id: string; summary: RunSummary } | undefined {
  // A minute of slack for clocks that differ between the login node and the compute nodes.
  const from = Date.parse(since) - 60000;
  const hit = runs.find((r) => r.summary?.name === name && Date.parse(r.summary.startedAt) >= from);
  return hit?.summary ? { dir: hit.dir, id: hit.id, summary: hit.summary } : undefined;
}

/** One task's record from its run folder, the queue and its log (see the file comment). */
function reconcile(
  r: SweepRunRecord,
  sweepDir: string,
  runs: ReturnType<typeof listRuns>,
  queue: Map<string, { state: string; reason: string }>,
  cancelledAt: string | undefined,
): SweepRunRecord {
  const s = r.slurm!;
  const run = findRun(runs, s.runName, s.submittedAt);
  const at = run ? { runDir: run.dir, runId: run.id } : {};
  const base = { cell: r.cell, seed: r.seed, slurm: s, ...at };
  const log = s.jobId ? path.join(sweepDir, 'slurm', `${s.jobId}_${s.task}.out`) : '';
  const ending = log && fs.existsSync(log) ? slurmEnding(fs.readFileSync(log, 'utf8')) : undefined;
  const summary = run ? effectiveSummary(run.summary) : undefined;
  if (summary?.status === 'done' || summary?.status === 'pruned')
    return {
      ...base,
      status: summary.status,
      ...(summary.status === 'pruned' && summary.reason ? { reason: summary.reason } : {}),
      seconds: summary.durations?.totalSeconds,
      final: summary.final ?? null,
      epochs: summary.epochsCompleted,
    };
  const queued = s.jobId ? queue.get(`${s.jobId}_${s.task}`) : undefined;
  // Slurm has said how it ends the task; once the task has left the queue (its run has written its
  // last summary), the run folder is told too: a task Slurm killed is a failed run with Slurm's reason.
  if (ending && !(queued && summary?.status === 'running')) {
    if (run) {
      try {
        restateRunEnding(run.dir, ending.status, ending.reason);
      } catch {
        // read-only or vanished: sweep.json still says it
      }
    }
    return { ...base, status: ending.status, reason: ending.reason };
  }
  if (summary && summary.status !== 'running')
    return { ...base, status: summary.status, ...(summary.reason ? { reason: summary.reason } : {}) };
  if (queued)
    return {
      ...base,
      status: queued.state === 'PENDING' ? 'pending' : 'running',
      ...(queued.state === 'PENDING' && queued.reason !== 'None' ? { reason: `queued: ${queued.reason}` } : {}),
    };
  if (!s.jobId) return { ...base, status: run ? 'running' : 'pending' };
  if (cancelledAt) return { ...base, status: 'cancelled', reason: 'cancelled with scancel before it started' };
  const where = fs.existsSync(log) ? `; see ${log}` : '';
  return run
    ? { ...base, status: 'failed', reason: `the Slurm task ended while its run was still running${where}` }
    : { ...base, status: 'failed', reason: `the Slurm task ended without starting a run${where}` };
}

/**
 * Brings a sweep.json up to date (Slurm sweeps; a local sweep is returned as it is) and writes it, with
 * the report once every task has ended.
 */
export function refreshSweep(dir: string, tool: SlurmTool = slurmTool): SweepFile {
  const sweep = readSweepFile(dir);
  if (sweep.launcher !== 'slurm' || !sweep.slurm) return sweep;
  // Runs that can still change: queued or running, or ended without Slurm's word yet in the run folder.
  const all = [...(sweep.tuning?.runs ?? []), ...sweep.runs];
  const unsettled = all.filter((r) => r.slurm && !settled(r));
  if (unsettled.length === 0 && sweep.status !== 'running') return sweep;
  const jobIds = [...new Set(sweep.slurm.submissions.map((x) => x.jobId).filter((x): x is string => x !== null))];
  let queue = new Map<string, { state: string; reason: string }>();
  try {
    queue = queueStates(jobIds, tool);
  } catch (err) {
    // Without squeue (not a login node, controller down) the run folders still tell most of it.
    if (all.some((r) => r.slurm && ACTIVE.includes(r.status) && !r.runDir)) throw err;
  }
  // The runs folder holds sweeps/<id>: the runs are two levels up. Runs whose process is gone are
  // written down as failed first (the engine is trusted), so the sweep and every reader agree.
  const runsDir = path.dirname(path.dirname(dir));
  const listed = listRuns(runsDir);
  const runs = settleStaleRuns(listed).length > 0 ? listRuns(runsDir) : listed;
  const update = (r: SweepRunRecord) => (r.slurm && !settled(r) ? reconcile(r, dir, runs, queue, sweep.slurm!.cancelledAt) : r);
  const records = sweep.runs.map(update);
  const t = sweep.tuning;
  const tuneRecords = t ? t.runs.map(update) : [];
  const tuning = t
    ? { records: tuneRecords, cells: tuningCells(gridCells(sweep.axes), t.trials, t.seeds, tuneRecords, t.metric) }
    : undefined;
  // Running: runs on the cluster, or a tuning that has ended waiting for its compared runs to be submitted.
  const waiting = awaitsComparison({ tuning: t && { ...t, runs: tuneRecords }, runs: records });
  const running = waiting || [...tuneRecords, ...records].some((r) => ACTIVE.includes(r.status) && r.slurm !== undefined);
  const { status, reason } = running
    ? { status: 'running' as const, reason: undefined }
    : endState([...tuneRecords.filter((r) => r.status === 'cancelled'), ...records]);
  let next: SweepFile = {
    ...sweep,
    updatedAt: new Date().toISOString(),
    status,
    reason,
    ...resultsWithTuning(sweep.axes, sweep.seeds, records, sweep.primaryMetric, sweep.parallel, sweep.search, tuning),
    ...(t && tuning ? { tuning: { ...t, runs: tuneRecords, cells: tuning.cells } } : {}),
    runs: records,
  };
  if (waiting) next = { ...next, reason: AWAITS_COMPARISON };
  if (!reason) delete next.reason;
  writeSweep(dir, next);
  if (!running) writeFileAtomic(path.join(dir, 'report.html'), sweepReport(next));
  return next;
}

/** scancel of every job of the sweep; its tasks end as cancelled (their runs save a checkpoint). */
export function cancelSweep(dir: string, tool: SlurmTool = slurmTool): SweepFile {
  const sweep = readSweepFile(dir);
  if (sweep.launcher !== 'slurm' || !sweep.slurm) throw new Error(`${dir}: not a Slurm sweep`);
  const jobIds = [...new Set(sweep.slurm.submissions.map((x) => x.jobId).filter((x): x is string => x !== null))];
  cancelJobs(jobIds, tool);
  writeSweep(dir, { ...sweep, slurm: { ...sweep.slurm, cancelledAt: new Date().toISOString() } });
  return refreshSweep(dir, tool);
}
