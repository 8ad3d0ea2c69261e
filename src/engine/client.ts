/**
 * Starting and supervising engine processes. `startTraining` forks dist/engine.js, streams its
 * events, forwards cancel, and turns every way a process can end into one result: done, cancelled,
 * or failed with a reason (including a crash or an out-of-memory kill, which the engine itself cannot
 * report: the run's summary.json is then marked failed here).
 */
import { ChildProcess, fork } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import type { ExperimentConfig } from '../core/config/config';
import { markRunEnded, RunStatus, RunSummary } from '../core/runs/store';
import type { TrainEvent } from '../core/train/trainer';
import { EngineRequest, parseEngineMessage } from './protocol';

export interface JobResult {
  status: Exclude<RunStatus, 'running'>;
  reason?: string;
  runDir?: string;
  summary?: RunSummary;
}

export interface TrainingJob {
  readonly pid: number | undefined;
  /** Resolves when the engine process has ended, whatever the outcome. Never rejects. */
  readonly result: Promise<JobResult>;
  /** Asks the engine to stop after the current batch (it saves a checkpoint); kills it if it does not end within `graceMs`. */
  cancel(graceMs?: number): void;
  /** Kills the engine at once (a second Ctrl-C): the run ends cancelled, without a checkpoint from now. */
  abort(): void;
}

export interface StartOptions {
  runName?: string;
  /** The experiment config file the run comes from (recorded in its summary; the sidebar groups by it). */
  configFile?: string;
  onEvent?: (event: TrainEvent) => void;
  /** Lines the engine wrote to stderr (warnings, crash output). */
  onLog?: (line: string) => void;
  /** Default: dist/engine.js of this package. */
  enginePath?: string;
  env?: NodeJS.ProcessEnv;
  /** Threads the engine's kernels use (SEGLAB_THREADS); default: the environment's, else every core. */
  threads?: number;
}

/** dist/engine.js next to the running bundle, or in the package's dist/ (tests run from out/). */
export function defaultEnginePath(): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    for (const candidate of [path.join(dir, 'engine.js'), path.join(dir, 'dist', 'engine.js')]) {
      if (fs.existsSync(candidate) && candidate !== __filename) return candidate;
    }
    dir = path.dirname(dir);
  }
  throw new Error(`cannot find dist/engine.js from ${__dirname}; run 'npm run build'`);
}

function forkEngine(options: StartOptions): ChildProcess {
  return fork(options.enginePath ?? defaultEnginePath(), [], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    // Structured clone instead of JSON: NaN and ±Infinity in metrics arrive as themselves (JSON made them null).
    serialization: 'advanced',
    // ELECTRON_RUN_AS_NODE: inside VS Code's Electron extension host, run the engine as plain Node.
    env: {
      ...(options.env ?? process.env),
      ELECTRON_RUN_AS_NODE: '1',
      ...(options.threads !== undefined ? { SEGLAB_THREADS: String(options.threads) } : {}),
    },
  });
}

/**
 * What Dawn prints on every device it creates (it lowers two limits WebGPU's Node bindings report as
 * unbounded): not a problem of the run, so not shown as the engine's output.
 */
const DAWN_NOISE = /^Warning: maxDynamic(Uniform|Storage)BuffersPerPipelineLayout artificially reduced/;

/** Forwards the engine's output lines to onLog and keeps its last 20 stderr lines (a crash's reason). */
function followOutput(child: ChildProcess, onLog?: (line: string) => void): { tail: () => string; flush: () => void } {
  const stderrTail: string[] = [];
  const onLine = (line: string) => {
    if (!line.trim() || DAWN_NOISE.test(line)) return;
    stderrTail.push(line);
    if (stderrTail.length > 20) stderrTail.shift();
    onLog?.(line);
  };
  let pending = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    const lines = (pending + chunk.toString()).split('\n');
    pending = lines.pop() ?? '';
    lines.forEach(onLine);
  });
  child.stdout?.on('data', (chunk: Buffer) =>
    chunk
      .toString()
      .split('\n')
      .forEach((l) => l.trim() && onLog?.(l)),
  );
  return {
    tail: () => stderrTail.join('\n'),
    flush: () => {
      if (pending) onLine(pending);
      pending = '';
    },
  };
}

/** markRunEnded that never throws into the caller (a full disk can refuse even that write). */
function markEnded(runDir: string, status: Exclude<RunStatus, 'running'>, reason: string): void {
  try {
    markRunEnded(runDir, status, reason);
  } catch {
    // summary.json keeps saying `running`; whoever lists the run later finds its process gone.
  }
}

export const ABORTED_REASON = 'stopped at once: no checkpoint was saved on stopping (checkpoints/ holds what earlier epochs saved)';

/** The end of an engine that exited without a summary: cancelled if asked to stop, else failed, with why. */
function exitResult(
  code: number | null,
  signal: NodeJS.Signals | null,
  tail: string,
  cancelRequested: boolean,
  runDir?: string,
  aborted = false,
): JobResult {
  const oom = /heap out of memory|Allocation failed|out of memory/i.test(tail);
  const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
  const status = cancelRequested || aborted ? 'cancelled' : 'failed';
  const reason = aborted
    ? ABORTED_REASON
    : cancelRequested
      ? `the engine ${how} while stopping`
      : `${oom ? 'out of memory: ' : ''}the engine process ${how} before the run ended${tail ? `; its last output: ${tail.slice(-600)}` : ''}`;
  if (runDir) markEnded(runDir, status, reason);
  return { status, reason, runDir };
}

export function startTraining(config: ExperimentConfig, options: StartOptions = {}): TrainingJob {
  const child = forkEngine(options);
  let runDir: string | undefined;
  let summary: RunSummary | undefined;
  let startError: string | undefined;
  let cancelRequested = false;
  let aborted = false;
  const output = followOutput(child, options.onLog);

  const send = (request: EngineRequest) => {
    if (child.connected) child.send(request);
  };
  child.on('message', (raw) => {
    const message = parseEngineMessage(raw);
    if (typeof message === 'string') {
      options.onLog?.(`engine sent a malformed message: ${message}`);
      return;
    }
    if (message.type === 'ready') send({ type: 'train', config, runName: options.runName, configFile: options.configFile });
    else if (message.type === 'error' || message.type === 'protocol-error') startError = message.message;
    else {
      const event = message.event;
      if (event.type === 'start') runDir = event.runDir;
      if (event.type === 'end') summary = event.summary;
      options.onEvent?.(event);
    }
  });

  const result = new Promise<JobResult>((resolve) => {
    child.on('error', (err) => {
      startError = `cannot start the engine process: ${err.message}`;
    });
    child.on('exit', (code, signal) => {
      output.flush();
      if (summary) resolve({ status: summary.status as JobResult['status'], reason: summary.reason, runDir, summary });
      else if (startError) {
        if (runDir) markEnded(runDir, 'failed', startError);
        resolve({ status: 'failed', reason: startError, runDir });
      } else resolve(exitResult(code, signal, output.tail(), cancelRequested, runDir, aborted));
    });
  });

  return {
    pid: child.pid,
    result,
    cancel(graceMs = 30000) {
      if (cancelRequested) return;
      cancelRequested = true;
      send({ type: 'cancel' });
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      void result.then(() => clearTimeout(timer));
    },
    abort() {
      if (aborted || child.exitCode !== null || child.signalCode !== null) return;
      aborted = true;
      child.kill('SIGKILL');
    },
  };
}
