/**
 * Slurm, as the cluster's own tools see it: the sbatch array script a sweep submits (one task per
 * grid cell × seed, each `seglab train` of that variant's config), sbatch/squeue/scancel, and what a
 * task's log says about how Slurm ended it. SegLab schedules nothing itself on a cluster.
 */
import { spawnSync } from 'child_process';

export interface SlurmOptions {
  partition?: string;
  /** Slurm's --time (e.g. 00:30:00). */
  time?: string;
  cpusPerTask?: number;
  /** Slurm's --mem (e.g. 4G). */
  mem?: string;
  /** Further sbatch arguments, one per item (e.g. --account=lab, --qos=short). */
  extra?: string[];
}

export interface ScriptInput {
  name: string;
  sweepDir: string;
  /** Array task indices to run (indices into the sweep's jobs; configs/<i>.json). */
  tasks: number[];
  /** What each task is, for people reading the script. */
  describe: (task: number) => string;
  /** Each task's run name (the run folder is <time>-<name>). */
  runName: (task: number) => string;
  node: string;
  cli: string;
  /** The experiment config the variants come from (recorded in each run's summary). */
  origin: string;
  /** Tasks at a time (sbatch's %N throttle); none: as many as the cluster gives. */
  parallel?: number;
  options: SlurmOptions;
}

/** `0-3,7,9`: consecutive indices as ranges, as sbatch --array takes them. */
export function arraySpec(tasks: readonly number[]): string {
  const sorted = [...new Set(tasks)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(j === i ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** Single-quoted for bash. */
export function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

const TIME = /^(\d+-)?\d+(:\d{1,2}){0,2}$/;

/** The options checked before anything is written (sbatch would refuse them later, per task). */
export function checkSlurmOptions(o: SlurmOptions): void {
  if (o.time !== undefined && !TIME.test(o.time)) throw new Error(`--time '${o.time}': write minutes, MM:SS, HH:MM:SS or D-HH:MM:SS`);
  if (o.mem !== undefined && !/^\d+[KMGT]?$/i.test(o.mem)) throw new Error(`--mem '${o.mem}': write a size such as 4000, 4G or 500M`);
  if (o.partition !== undefined && !/^[\w.,-]+$/.test(o.partition)) throw new Error(`--partition '${o.partition}' is not a partition name`);
  for (const a of o.extra ?? [])
    if (!a.startsWith('-')) throw new Error(`--sbatch-arg '${a}': give an sbatch option such as --account=lab`);
}

/** The sbatch array script: readable, editable, and submittable by hand (`sbatch FILE`). */
export function sbatchScript(s: ScriptInput): string {
  const q = shellQuote;
  const directives = [
    `--job-name=seglab-${s.name}`,
    `--array=${arraySpec(s.tasks)}${s.parallel ? `%${s.parallel}` : ''}`,
    `--output=${s.sweepDir}/slurm/%A_%a.out`,
    ...(s.options.partition ? [`--partition=${s.options.partition}`] : []),
    ...(s.options.time ? [`--time=${s.options.time}`] : []),
    `--cpus-per-task=${s.options.cpusPerTask ?? 1}`,
    ...(s.options.mem ? [`--mem=${s.options.mem}`] : []),
    ...(s.options.extra ?? []),
  ];
  return [
    '#!/bin/bash',
    `# SegLab sweep "${s.name}": one array task per grid cell × seed; each trains one run with`,
    `# \`seglab train\` on configs/<task>.json and writes it into the runs folder that config names.`,
    '# Written by `seglab sweep … --launcher slurm`; edit it and submit it by hand with `sbatch <this file>`.',
    '# `seglab sweep status <sweep folder>` reads the runs and squeue; `seglab sweep cancel` runs scancel.',
    ...directives.map((d) => `#SBATCH ${d}`),
    '#',
    '# task  cell and seed',
    ...s.tasks.map((t) => `#   ${String(t).padStart(4)}  ${s.describe(t)}`),
    'set -euo pipefail',
    `NODE=\${SEGLAB_NODE:-${q(s.node)}}`,
    `SEGLAB_CLI=${q(s.cli)}`,
    `CONFIG=${q(s.sweepDir)}/configs/$SLURM_ARRAY_TASK_ID.json`,
    `declare -A RUN_NAME=(${s.tasks.map((t) => `[${t}]=${q(s.runName(t))}`).join(' ')})`,
    'echo "seglab: task $SLURM_ARRAY_TASK_ID of job $SLURM_ARRAY_JOB_ID on $(hostname): $CONFIG"',
    `exec "$NODE" "$SEGLAB_CLI" train "$CONFIG" --run-name "\${RUN_NAME[$SLURM_ARRAY_TASK_ID]}" ` +
      `--threads "\${SLURM_CPUS_PER_TASK:-1}" --origin ${q(s.origin)}`,
    '',
  ].join('\n');
}

export interface SlurmTool {
  /** Runs a Slurm command; throws with its stderr when it fails or is missing. */
  (command: 'sbatch' | 'squeue' | 'scancel', args: string[]): string;
}

/** The real commands (SLURM_CONF and PATH from the environment). */
export const slurmTool: SlurmTool = (command, args) => {
  const r = spawnSync(command, args, { encoding: 'utf8', timeout: 30000 });
  if (r.error) {
    const missing = (r.error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new Error(
      missing ? `${command} not found: is this a Slurm login node (slurm-client installed, on PATH)?` : `${command}: ${r.error.message}`,
    );
  }
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${(r.stderr || r.stdout).trim()}`);
  return r.stdout;
};

/** Submits a script; returns the job id (`sbatch --parsable` prints `id` or `id;cluster`). */
export function submit(script: string, tool: SlurmTool = slurmTool): string {
  const out = tool('sbatch', ['--parsable', script]).trim();
  const id = out.split(';')[0];
  if (!/^\d+$/.test(id)) throw new Error(`sbatch printed '${out}', not a job id`);
  return id;
}

/** State of every listed array task of these jobs, by `job_task` (absent: no longer in the queue). */
export function queueStates(jobIds: readonly string[], tool: SlurmTool = slurmTool): Map<string, { state: string; reason: string }> {
  const out = new Map<string, { state: string; reason: string }>();
  if (jobIds.length === 0) return out;
  // All jobs, filtered here: `squeue -j` fails outright once one of the ids has left the queue.
  for (const line of tool('squeue', ['-h', '-r', '-o', '%i %T %r']).split('\n')) {
    const [id, state, ...reason] = line.trim().split(/\s+/);
    if (!id || !state) continue;
    const [job] = id.split('_');
    if (jobIds.includes(job)) out.set(id, { state, reason: reason.join(' ') });
  }
  return out;
}

export function cancelJobs(jobIds: readonly string[], tool: SlurmTool = slurmTool): void {
  if (jobIds.length) tool('scancel', [...jobIds]);
}

/**
 * How Slurm ended a task, from the lines slurmstepd writes into its log: the time limit and memory
 * limits as failures with that reason, scancel as a cancellation. Undefined: Slurm did not end it.
 */
export function slurmEnding(log: string): { status: 'failed' | 'cancelled'; reason: string } | undefined {
  const line = log
    .split('\n')
    .find((l) => /\*\*\* (JOB|STEP) .* CANCELLED AT/.test(l) || /oom[-_ ]kill|Exceeded job memory limit/i.test(l));
  if (!line) return undefined;
  const said = line.replace(/^slurmstepd(-[^:]*)?:\s*(error:\s*)?/, '').trim();
  if (/DUE TO TIME LIMIT/.test(line)) return { status: 'failed', reason: `Slurm time limit reached (${said})` };
  if (/oom|memory/i.test(line)) return { status: 'failed', reason: `out of memory: Slurm's memory limit (${said})` };
  if (/DUE TO/.test(line)) return { status: 'failed', reason: `ended by Slurm (${said})` };
  return { status: 'cancelled', reason: `cancelled with scancel (${said})` };
}
