/** `seglab sweep`: a grid of config variants × seeds, resumable, with a table and paired verdicts. */
import * as path from 'path';
import { choosesGpu } from '../core/backend/backend';
import { encodeJson } from '../core/common/json';
import { loadConfig } from '../core/config/config';
import { formatMetric, metricLabel, METRICS, MetricKey } from '../core/common/metrics';
import { formatStat, shownMetrics } from '../core/runs/compare';
import { parseAxes, rankCells, SweepAxis, sweepCells, SweepFile, SweepSearch, zipped } from '../core/runs/sweep';
import { hasRange, parseSpaces, SEARCH_METHODS, searchAxes } from '../core/runs/search';
import { effectiveSweep, readSweepFile } from '../core/runs/sweepStore';
import { formatCellStat } from '../core/runs/sweepReport';
import { runSweep, SweepOptions, SweepPruneOptions, SweepTuneOptions } from '../engine/sweep';
import { awaitsComparison, cancelSweep, refreshSweep, SlurmSubmission, submitSweep } from '../engine/slurmSweep';
import * as os from 'os';
import { choiceValue, numberValue, parseCommand, positiveInteger, requireValue, UsageError } from './args';
import { formatDuration, ProgressView } from './progress';
import { onInterrupt } from './trainCommands';

type Write = (s: string) => void;

export const SWEEP_USAGE = `usage: seglab sweep CONFIG --set KEY=V1,V2,… [--set …] [--seeds N | --seed-list 1,2,3]
                    [--search grid|random|sobol --trials N [--search-seed S]]
                    [--prune asha [--min-epochs R] [--eta η]]
                    [--tune KEY[,KEY…] [--per KEY[,KEY…]] --then-seeds S]
                    [--parallel P] [--threads N] [--backend B] [--new] [--json]
                    [--launcher local|slurm [--partition P] [--time HH:MM:SS] [--cpus-per-task N]
                     [--mem M] [--sbatch-arg ARG]… [--dry-run] [--wait]]
       seglab sweep status DIR [--json]
       seglab sweep cancel DIR
  Trains every combination of the --set values (any config key by its dotted path: loss, head,
  optimizer.learningRate, model.baseFilters, loss.options.gamma, …) with each seed, P runs at a time,
  and writes <runsDir>/sweeps/<time>-<name>/sweep.json and report.html: per cell the mean, std and
  95 % t interval of each metric over seeds, and paired t-tests between cells that share seeds.
  P defaults to one run per thread, or 1 when the runs train on a GPU (they share it). Running the same command again resumes the sweep: finished runs are kept, failed, cancelled or
  missing ones run (--new starts a fresh sweep instead). Ctrl-C stops after the current batches.
  Values are read as JSON when they parse (0.001, true, "a,b"), else as text (bce+dice).
  A range instead of a list — KEY=log:1e-4..1e-2 (log-uniform), lin:A..B, int:A..B — needs --search:
  grid gives each range N evenly spaced values (--trials N) and trains every combination; random
  (seeded by --search-seed, default 1) and sobol (SciPy's unscrambled Sobol points) train N trials, each
  a point of all keys at once (a list is then a categorical key). Trial cells are compared best
  against the others.
  --prune asha: asynchronous successive halving. At epochs R, R·η, R·η², … (default R 1, η 3) each run
  compares its validation value of the config's monitor with the runs that reached that epoch before it
  and stops as \`pruned\` unless it is in their top 1/η (checkpoint and curves kept; a resume does not
  re-run it). Runs in parallel see each other in the order they arrive; --parallel 1 repeats exactly.
  --tune KEYS: a tuned comparison. The --set keys named in --tune are tuned (their values or ranges,
  with --search and --trials as above) separately for every cell of the other --set keys (--per, by
  default all the others): each cell trains the same trials on the sweep's seeds (--seeds/--seed-list,
  the tuning seeds; with --prune, trials of a cell compete with each other only), takes the trial with
  the best mean monitored value, then trains S fresh seeds at it (--then-seeds S: the seeds after the
  tuning seeds). Cells are compared on those fresh seeds only; every cell gets the same trials and epochs.
  On Slurm the tuning is one array job; --wait (or the same command again) submits the compared runs.
  --launcher slurm: writes an sbatch array script (one task per cell × seed, each \`seglab train\`
  of that variant) into the sweep folder and submits it; --dry-run only writes it (submit it with
  sbatch yourself); --wait follows the job until every task has ended. The sweep folder and runs must
  be on a file system the compute nodes share. status reads the runs and squeue; cancel runs scancel
  (a local sweep is sent Ctrl-C). Re-running the command submits only missing, failed or cancelled runs.`;

/** The results table: one row per cell, best first by the primary metric. */
export function sweepTable(sweep: SweepFile, metrics: readonly MetricKey[] = shownMetrics(sweep.cells)): string[] {
  const primary = sweep.primaryMetric;
  const cells = rankCells(sweep.cells, primary);
  const head = ['cell', 'seeds', ...metrics.map((m) => `${metricLabel(m)} ${METRICS[m].lowerIsBetter ? '↓' : '↑'}`)];
  const rows = cells.map((c) => [
    `${c.id === sweep.best ? '* ' : '  '}${c.label}`,
    `${c.n}/${sweep.seeds.length}`,
    // The interval for the metric cells are ranked by; mean ± std for the others (the report has every interval).
    ...metrics.map((m) =>
      m === primary
        ? formatCellStat(c.metrics[m], METRICS[m].digits)
        : formatStat(c.metrics[m] ?? { mean: NaN, std: NaN, n: 0 }, METRICS[m].digits),
    ),
  ]);
  const widths = head.map((h, i) => Math.max(h.length + (i === 0 ? 2 : 0), ...rows.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r
      .map((v, i) => v.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line([`  ${head[0]}`, ...head.slice(1)]), ...rows.map(line)];
}

/** A tuned sweep's tuning: per cell its runs, the epochs they trained and the setting chosen. */
export function tuningTable(sweep: SweepFile): string[] {
  const t = sweep.tuning;
  if (!t) return [];
  const metric = metricLabel(t.metric);
  const head = ['cell', 'tuning runs', 'epochs', `chosen (${t.keys.join(', ')})`, `${metric} at it`];
  const rows = t.cells.map((c) => [
    c.label,
    `${c.runs} (${c.done} done${c.pruned ? `, ${c.pruned} pruned` : ''}${c.failed ? `, ${c.failed} failed` : ''})`,
    String(c.epochs),
    c.chosen
      ? Object.values(c.chosen.params)
          .map((v) => (typeof v === 'string' ? v : JSON.stringify(v)))
          .join(', ')
      : '—',
    c.chosen ? formatMetric(t.metric, c.chosen.value) : '—',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r
      .map((v, i) => v.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(head), ...rows.map(line)];
}

function writeSummary(sweep: SweepFile, write: Write): void {
  const t = sweep.tuning;
  if (t) {
    write(
      `\ntuning (${t.trials.length} trial(s) of ${t.keys.join(', ')} per cell × tuning seed(s) ${t.seeds.join(', ')}` +
        `${sweep.prune ? `, ASHA at epochs ${sweep.prune.rungs.join(', ')} keeping 1/${sweep.prune.eta}` : ''}; ` +
        `chosen by the mean final ${metricLabel(t.metric)}):\n`,
    );
    for (const l of tuningTable(sweep)) write(`  ${l}\n`);
    write(`compared on fresh seeds ${sweep.seeds.join(', ')} at each cell's chosen setting:\n`);
  }
  const oneSeed = sweep.seeds.length < 2;
  write(
    oneSeed
      ? '\nfinal validation (one seed per cell: no spread, no conclusion about differences):\n'
      : `\nfinal validation (mean ± std over seeds; [95 % t interval] of ${metricLabel(sweep.primaryMetric)}, ✂ cut at the metric's range; * best by it):\n`,
  );
  for (const l of sweepTable(sweep)) write(`${l}\n`);
  const verdicts = sweep.comparisons.filter((c) => c.metric === sweep.primaryMetric);
  if (verdicts.length > 0) {
    write(
      '\npaired over seeds (same split, batches and initial weights per seed; t-test, decided on the Holm-adjusted p over these comparisons):\n',
    );
    for (const axis of [...new Set(verdicts.map((v) => v.axis))]) {
      write(axis === 'best' ? '  best cell against the others:\n' : `  along ${axis}:\n`);
      for (const v of verdicts.filter((x) => x.axis === axis)) write(`    ${v.verdict}\n`);
    }
  }
  const bad = [...(sweep.tuning?.runs ?? []), ...sweep.runs].filter((r) => r.status === 'failed' || r.status === 'cancelled');
  for (const r of bad) write(`  ${r.cell} seed ${r.seed}: ${r.status}${r.reason ? ` — ${r.reason}` : ''}\n`);
}

async function statusCommand(argv: string[], write: Write): Promise<number> {
  const { values, positionals } = parseCommand(argv, { json: { type: 'boolean' } }, SWEEP_USAGE);
  const dir = path.resolve(requireValue(positionals[0], 'DIR (a sweep folder, a positional argument)', SWEEP_USAGE));
  const sweep = effectiveSweep(refreshSweep(dir)); // a local sweep comes back as it is on disk
  if (values.json) {
    write(encodeJson(sweep) + '\n');
    return 0;
  }
  const p = sweep.progress;
  write(
    `${sweep.name}: ${sweep.status}${sweep.reason ? ` (${sweep.reason})` : ''} · ${p.done}/${p.total} runs done` +
      `${sweep.launcher === 'slurm' ? ` · Slurm job ${(sweep.slurm?.submissions ?? []).map((x) => x.jobId ?? 'not submitted').join(', ')}` : ''}` +
      `${p.running ? `, ${p.running} running` : ''}${p.pruned ? `, ${p.pruned} pruned` : ''}${p.failed ? `, ${p.failed} failed` : ''}${p.cancelled ? `, ${p.cancelled} cancelled` : ''}` +
      `${sweep.status === 'running' && p.etaSeconds !== undefined ? ` · ETA ${formatDuration(p.etaSeconds)}` : ''}\n`,
  );
  writeSummary(sweep, write);
  return 0;
}

/** The command line of a sweep, checked: the config file, the axes, the seeds and the budget. */
function sweepArguments(argv: string[]) {
  const { values, positionals } = parseCommand(
    argv,
    {
      set: { type: 'string', multiple: true },
      seeds: { type: 'string' },
      'seed-list': { type: 'string' },
      parallel: { type: 'string' },
      threads: { type: 'string' },
      backend: { type: 'string' },
      new: { type: 'boolean' },
      json: { type: 'boolean' },
      search: { type: 'string' },
      trials: { type: 'string' },
      'search-seed': { type: 'string' },
      prune: { type: 'string' },
      'min-epochs': { type: 'string' },
      eta: { type: 'string' },
      tune: { type: 'string' },
      per: { type: 'string' },
      'then-seeds': { type: 'string' },
      launcher: { type: 'string' },
      partition: { type: 'string' },
      time: { type: 'string' },
      'cpus-per-task': { type: 'string' },
      mem: { type: 'string' },
      'sbatch-arg': { type: 'string', multiple: true },
      'dry-run': { type: 'boolean' },
      wait: { type: 'boolean' },
    },
    SWEEP_USAGE,
  );
  const file = path.resolve(requireValue(positionals[0], 'CONFIG (a positional argument)', SWEEP_USAGE));
  const launcher = choiceValue(values.launcher, 'launcher', ['local', 'slurm'] as const) ?? 'local';
  const slurmOnly = (['partition', 'time', 'cpus-per-task', 'mem', 'sbatch-arg', 'dry-run', 'wait'] as const).filter(
    (k) => values[k] !== undefined,
  );
  if (launcher === 'local' && slurmOnly.length) throw new UsageError(`--${slurmOnly[0]} goes with --launcher slurm`);
  const sets = values.set ?? [];
  if (sets.length === 0)
    throw new UsageError(`--set KEY=V1,V2 is required (e.g. --set loss=bce,dice --set head=sigmoid1,softmax2)\n${SWEEP_USAGE}`);
  const { axes, search, tune: tuneSpec } = tunedSpaces(sets, values);
  const prune = pruneOptions(values);
  const seeds = seedOptions(values, file);
  const tune = tuneSpec ? { ...tuneSpec, thenSeeds: freshSeeds(values['then-seeds'], seeds) } : undefined;
  if (!tuneSpec && values['then-seeds'] !== undefined) throw new UsageError('--then-seeds goes with --tune KEYS');
  return {
    file,
    axes,
    search,
    prune,
    tune,
    seeds,
    parallel: positiveInteger(values.parallel, 'parallel'),
    threads: positiveInteger(values.threads, 'threads'),
    backend: values.backend,
    fresh: Boolean(values.new),
    json: Boolean(values.json),
    launcher,
    slurm: {
      partition: values.partition,
      time: values.time,
      cpusPerTask: positiveInteger(values['cpus-per-task'], 'cpus-per-task'),
      mem: values.mem,
      extra: values['sbatch-arg'],
    },
    dryRun: Boolean(values['dry-run']),
    wait: Boolean(values.wait),
  };
}

/** --seeds N (from the config's seed) or --seed-list A,B,…, checked. */
function seedOptions(values: { seeds?: string; 'seed-list'?: string }, file: string): number[] {
  const count = positiveInteger(values.seeds, 'seeds');
  if (count !== undefined && values['seed-list']) throw new UsageError('--seeds and --seed-list: give one of them');
  const seeds = values['seed-list']
    ? values['seed-list'].split(',').map((s) => {
        const n = numberValue(s, 'seed-list')!;
        if (!Number.isInteger(n)) throw new UsageError(`--seed-list: '${s}' is not an integer`);
        return n;
      })
    : // The config's seed first, as in compare (loadConfig also validates the config).
      Array.from({ length: count ?? 1 }, (_, i) => loadConfig(file).seed + i);
  if (new Set(seeds).size !== seeds.length) throw new UsageError('--seed-list: a seed is listed twice');
  return seeds;
}

/** --then-seeds S: S seeds after the largest tuning seed, so that no compared run shares a tuning run's seed. */
function freshSeeds(text: string | undefined, tuningSeeds: readonly number[]): number[] {
  const count = positiveInteger(text, 'then-seeds');
  if (count === undefined) throw new UsageError('--tune needs --then-seeds S (the fresh seeds each cell is compared on)');
  return Array.from({ length: count }, (_, i) => Math.max(...tuningSeeds) + 1 + i);
}

/** One line (or JSON object) per run that ended, with the sweep's progress and ETA. */
function runReporter(json: boolean, view: ProgressView, write: Write): (sweep: SweepFile) => void {
  const seen = new Map<string, string>();
  let first = true;
  return (sweep) => {
    const tuning = new Set(sweep.tuning?.runs ?? []);
    for (const r of [...(sweep.tuning?.runs ?? []), ...sweep.runs]) {
      const phase = tuning.has(r) ? 'tune ' : '';
      const k = `${phase}${r.cell}/${r.seed}`;
      const changed = seen.get(k) !== r.status;
      seen.set(k, r.status);
      // The first snapshot is where the sweep starts (runs kept from before are not news).
      if (first || !changed || r.status === 'pending' || r.status === 'running') continue;
      const p = sweep.progress;
      if (json) {
        write(encodeJson({ type: 'run', ...(phase ? { phase: 'tuning' } : {}), ...r, progress: p }, 0) + '\n');
        continue;
      }
      const dice = r.final && typeof r.final.dice === 'number' ? `, Dice ${r.final.dice.toFixed(3)}` : '';
      const time = r.seconds !== undefined ? ` (${formatDuration(r.seconds)})` : '';
      const eta = p.etaSeconds !== undefined && p.pending + p.running > 0 ? ` · ETA ${formatDuration(p.etaSeconds)}` : '';
      const why = r.reason && r.status !== 'done' ? ` — ${r.reason}` : '';
      const ended = p.done + p.failed + p.cancelled + (p.pruned ?? 0);
      view.line(`[${ended}/${p.total}] ${phase}${r.cell} seed ${r.seed}: ${r.status}${dice}${time}${why}${eta}`);
    }
    first = false;
  };
}

type SweepArguments = ReturnType<typeof sweepArguments>;

/** The axes of the --set options: their grid, or (--search) a grid of ranges or random/Sobol trials. */
function sweepSpaces(
  sets: string[],
  values: { search?: string; trials?: string; 'search-seed'?: string },
): { axes: SweepAxis[]; search?: SweepSearch } {
  const method = choiceValue(values.search, 'search', SEARCH_METHODS);
  const trials = positiveInteger(values.trials, 'trials');
  if (!method && (trials !== undefined || values['search-seed'] !== undefined))
    throw new UsageError('--trials and --search-seed go with --search grid|random|sobol');
  if (!method && hasRange(sets)) throw new UsageError('a range (log:, lin:, int:) needs --search grid|random|sobol --trials N');
  try {
    if (!method) return { axes: parseAxes(sets) };
    if (trials === undefined) throw new UsageError('--search needs --trials N (trials of random and sobol; values per range of grid)');
    const seed = numberValue(values['search-seed'], 'search-seed') ?? 1;
    if (!Number.isInteger(seed) || seed < 0)
      throw new UsageError(`--search-seed must be a non-negative integer, got ${values['search-seed']}`);
    const { axes } = searchAxes(parseSpaces(sets), method, trials, seed);
    return { axes, search: { method, trials, seed, spaces: [...sets] } };
  } catch (err) {
    throw err instanceof UsageError ? err : new UsageError((err as Error).message);
  }
}

/** --prune asha [--min-epochs R] [--eta η], checked. */
function pruneOptions(values: { prune?: string; 'min-epochs'?: string; eta?: string }): SweepPruneOptions | undefined {
  const method = choiceValue(values.prune, 'prune', ['asha'] as const);
  const minEpochs = positiveInteger(values['min-epochs'], 'min-epochs');
  const eta = positiveInteger(values.eta, 'eta');
  if (!method) {
    if (minEpochs !== undefined || eta !== undefined) throw new UsageError('--min-epochs and --eta go with --prune asha');
    return undefined;
  }
  if (eta !== undefined && eta < 2) throw new UsageError(`--eta must be at least 2 (each rung keeps the top 1/η), got ${eta}`);
  return { method, minEpochs: minEpochs ?? 1, eta: eta ?? 3 };
}

/**
 * The axes of the --set options; with --tune, the compared cells' axes (the --per keys: lists, their
 * grid) and the tuned keys' trials (their search).
 */
function tunedSpaces(
  sets: string[],
  values: { search?: string; trials?: string; 'search-seed'?: string; tune?: string; per?: string },
): { axes: SweepAxis[]; search?: SweepSearch; tune?: Omit<SweepTuneOptions, 'thenSeeds'> } {
  if (values.tune === undefined) {
    if (values.per !== undefined) throw new UsageError('--per goes with --tune KEYS');
    return sweepSpaces(sets, values);
  }
  const keyOf = (s: string) => s.slice(0, Math.max(0, s.indexOf('='))).trim();
  const list = (text: string, what: string) => {
    const keys = text
      .split(',')
      .map((k) => k.trim())
      .filter(Boolean);
    for (const k of keys)
      if (!sets.some((s) => keyOf(s) === k))
        throw new UsageError(`--${what} ${k}: no --set ${k}=… gives its values${knownKeys(sets.map(keyOf))}`);
    if (keys.length === 0) throw new UsageError(`--${what} needs at least one key`);
    return keys;
  };
  const keys = list(values.tune, 'tune');
  const per = values.per !== undefined ? list(values.per, 'per') : sets.map(keyOf).filter((k) => !keys.includes(k));
  const both = per.find((k) => keys.includes(k));
  if (both) throw new UsageError(`--tune and --per both name ${both}: a key is either tuned or compared`);
  const loose = sets.map(keyOf).find((k) => !keys.includes(k) && !per.includes(k));
  if (loose) throw new UsageError(`--set ${loose}: with --tune every --set key is tuned (--tune) or compared (--per)`);
  if (per.length === 0) throw new UsageError('--tune needs at least one compared key (a --set not tuned, e.g. --set loss=bce,dice)');
  const perSets = sets.filter((s) => per.includes(keyOf(s)));
  if (hasRange(perSets)) throw new UsageError('--per keys are compared cell by cell: give them lists (a range belongs to a tuned key)');
  const tuned = sweepSpaces(
    sets.filter((s) => keys.includes(keyOf(s))),
    values,
  );
  return {
    axes: parseAxesOrUsage(perSets),
    ...(tuned.search ? { search: tuned.search } : {}),
    tune: { keys, per, trials: sweepCells(tuned.axes, zipped(tuned.search)) },
  };
}

function parseAxesOrUsage(sets: string[]): SweepAxis[] {
  try {
    return parseAxes(sets);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

const knownKeys = (known: string[]) => (known.length ? ` (the --set keys are ${known.join(', ')})` : '');

/** --launcher slurm: submit (or only write, --dry-run), then with --wait follow the job to its end. */
/** What a submission says: the job and its tasks, or that nothing was left to submit. */
function writeSubmission(a: SweepArguments, sub: SlurmSubmission, write: Write): void {
  if (a.json)
    write(
      encodeJson({ type: 'submitted', dir: sub.dir, script: sub.script, jobId: sub.jobId, tasks: sub.tasks, kept: sub.kept }, 0) + '\n',
    );
  else if (sub.tasks.length === 0) write(`${sub.dir}: nothing to submit (${sub.kept} run(s) finished or still on the cluster)\n`);
  else if (a.dryRun)
    write(
      `wrote ${sub.script} (${sub.tasks.length} array task(s)); submit it with: ` +
        `sbatch ${sub.script}\nfollow it with: seglab sweep status ${sub.dir}\n`,
    );
  else
    write(
      `submitted job ${sub.jobId}: ${sub.tasks.length} array task(s)${sub.kept ? `, ${sub.kept} run(s) kept` : ''} ` +
        `(${sub.script})\nfollow it with: seglab sweep status ${sub.dir}\n`,
    );
}

/** What makes the sweep (its fingerprint's parts) and where it runs, as both launchers take them. */
function sweepGrid(
  a: SweepArguments,
): Pick<SweepOptions, 'configFile' | 'axes' | 'search' | 'prune' | 'tune' | 'seeds' | 'backend' | 'fresh'> {
  return {
    configFile: a.file,
    axes: a.axes,
    ...(a.search ? { search: a.search } : {}),
    ...(a.prune ? { prune: a.prune } : {}),
    ...(a.tune ? { tune: a.tune } : {}),
    seeds: a.seeds,
    backend: a.backend,
    fresh: a.fresh,
  };
}

async function slurmSweep(a: SweepArguments, write: Write): Promise<number> {
  const submitNow = (retryFailed: boolean) =>
    submitSweep({
      ...sweepGrid(a),
      parallel: a.parallel,
      slurm: a.slurm,
      dryRun: a.dryRun,
      retryFailed,
    });
  const sub = submitNow(true);
  writeSubmission(a, sub, write);
  if (!a.wait || a.dryRun) return 0;
  const report = runReporter(a.json, new ProgressView(write, false), write);
  report(sub.sweep);
  let stop = false;
  const onInt = () => {
    stop = true;
    process.stderr.write(`\nstopped waiting; the job goes on (seglab sweep status ${sub.dir}, seglab sweep cancel ${sub.dir})\n`);
  };
  process.once('SIGINT', onInt);
  let sweep = sub.sweep;
  while (sweep.status === 'running' && !stop) {
    await new Promise((r) => setTimeout(r, 3000));
    sweep = refreshSweep(sub.dir);
    report(sweep);
    if (awaitsComparison(sweep)) {
      // A tuned sweep's tuning has ended: its compared runs go in (failed trials are not retried here).
      const next = submitNow(false);
      writeSubmission(a, next, write);
      sweep = next.sweep;
    }
  }
  process.off('SIGINT', onInt);
  if (stop) return 130;
  if (a.json) write(encodeJson({ type: 'sweep', dir: sub.dir, report: path.join(sub.dir, 'report.html'), sweep }, 0) + '\n');
  else {
    writeSummary(sweep, write);
    write(
      `\nsweep: ${sub.dir} (${sweep.status}${sweep.reason ? `: ${sweep.reason}` : ''})\nreport: ${path.join(sub.dir, 'report.html')}\n`,
    );
  }
  return sweep.status === 'done' ? 0 : sweep.status === 'cancelled' ? 130 : 1;
}

async function cancelCommand(argv: string[], write: Write): Promise<number> {
  const { positionals } = parseCommand(argv, {}, SWEEP_USAGE);
  const dir = path.resolve(requireValue(positionals[0], 'DIR (a sweep folder, a positional argument)', SWEEP_USAGE));
  const sweep = effectiveSweep(readSweepFile(dir));
  if (sweep.launcher === 'slurm') {
    const after = cancelSweep(dir);
    write(`scancel sent; ${after.progress.cancelled} of ${after.progress.total} run(s) cancelled so far (seglab sweep status ${dir})\n`);
    return 0;
  }
  if (sweep.status !== 'running' || sweep.pid === undefined) throw new Error(`${dir}: the sweep is not running (${sweep.status})`);
  if (sweep.host !== undefined && sweep.host !== os.hostname()) throw new Error(`${dir}: the sweep runs on ${sweep.host}; cancel it there`);
  process.kill(sweep.pid, 'SIGINT');
  write(`sent Ctrl-C to the sweep (pid ${sweep.pid}): its runs stop after the current batch\n`);
  return 0;
}

export async function sweepCommand(argv: string[], write: Write): Promise<number> {
  if (argv[0] === 'status') return statusCommand(argv.slice(1), write);
  if (argv[0] === 'cancel') return cancelCommand(argv.slice(1), write);
  const a = sweepArguments(argv);
  if (a.launcher === 'slurm') return slurmSweep(a, write);
  const view = new ProgressView(write, !a.json && Boolean(process.stdout.isTTY));
  // runs on one GPU take turns unless --parallel says otherwise
  const gpu = a.parallel === undefined && (await choosesGpu(a.backend ?? loadConfig(a.file).backend));
  const handle = runSweep({
    ...sweepGrid(a),
    parallel: a.parallel ?? (gpu ? 1 : undefined),
    threads: a.threads,
    onLog: (l) => process.stderr.write(`engine: ${l}\n`),
    onEvent: (job, e) => {
      if (a.json) write(encodeJson({ job: { cell: job.cell, seed: job.seed }, ...e }, 0) + '\n');
      else if (e.type === 'batch') view.event(`${job.cell} s${job.seed}`, e);
    },
    onUpdate: runReporter(a.json, view, write),
  });
  const first = handle.initial;
  if (!a.json) {
    const [kept, pruned] = [first.progress.done, first.progress.pruned ?? 0];
    const resuming = kept + pruned ? ` (resuming ${handle.dir}: ${kept} finished${pruned ? ` and ${pruned} pruned` : ''} run(s) kept)` : '';
    const plan = a.tune
      ? `tuned sweep ${first.cells.length} cell(s) × ${a.tune.trials.length} trial(s) × ${a.seeds.length} tuning seed(s), ` +
        `then × ${a.tune.thenSeeds.length} fresh seed(s) = `
      : `sweep ${first.cells.length} cell(s) × ${a.seeds.length} seed(s) = `;
    const pruning = a.prune ? `; ASHA prunes at epochs ${first.prune?.rungs.join(', ')}` : '';
    write(`${plan}${first.progress.total} runs, ${first.parallel} at a time${pruning}${resuming}\n`);
  }
  const release = onInterrupt(
    () => handle.cancel(),
    () => handle.abort(),
  );
  const result = await handle.result;
  release();
  const s = result.sweep;
  if (a.json)
    write(
      encodeJson({ type: 'sweep', dir: result.dir, report: result.report, started: result.started, reused: result.reused, sweep: s }, 0) +
        '\n',
    );
  else {
    writeSummary(s, write);
    write(`\nsweep: ${result.dir} (${s.status}${s.reason ? `: ${s.reason}` : ''})\nreport: ${result.report}\n`);
  }
  return s.status === 'done' ? 0 : s.status === 'cancelled' ? 130 : 1;
}
