/**
 * At most `parallel` training jobs at a time, in order: the scheduler `compare` and `sweep` share.
 * Cancelling stops the running jobs after their current batch (each saves a checkpoint) and ends
 * every job not yet started as cancelled; aborting kills the running ones at once.
 */
import type { JobResult, TrainingJob } from './client';

export interface JobQueue {
  /** Resolves when every job has ended (or was skipped by a cancel). Never rejects for a failed job. */
  done: Promise<void>;
  cancel(): void;
  abort(): void;
}

export function runQueue<J>(
  jobs: readonly J[],
  parallel: number,
  start: (job: J) => TrainingJob,
  onEnd: (job: J, result: JobResult) => void,
  notStartedReason = 'cancelled before this run started',
): JobQueue {
  const active = new Set<TrainingJob>();
  let cancelled = false;
  const queue = jobs.slice();
  const worker = async () => {
    for (let job = queue.shift(); job !== undefined; job = queue.shift()) {
      if (cancelled) {
        onEnd(job, { status: 'cancelled', reason: notStartedReason });
        continue;
      }
      const handle = start(job);
      active.add(handle);
      const result = await handle.result;
      active.delete(handle);
      onEnd(job, result);
    }
  };
  const done = Promise.all(Array.from({ length: Math.max(1, parallel) }, worker)).then(() => undefined);
  return {
    done,
    cancel() {
      cancelled = true;
      for (const job of active) job.cancel();
    },
    abort() {
      cancelled = true;
      for (const job of active) job.abort();
    },
  };
}
