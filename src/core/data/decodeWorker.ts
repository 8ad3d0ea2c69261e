/**
 * The decoding worker thread of a FolderSource (folderSource.ts): decodes and checks image/mask pairs
 * with the same code as the main thread (pairDecode.ts) and hands the buffers back without copying.
 * esbuild bundles it to dist/decodeWorker.js beside the bundles that start it.
 */
import { parentPort } from 'worker_threads';
import { replyFor, WorkerJob, WorkerReply } from './folderSource';
import { decodePair } from './pairDecode';

parentPort?.on('message', (job: WorkerJob | { stop: true }) => {
  // The source is done: close the port after the job in hand, and the thread ends on its own.
  if ('stop' in job) {
    parentPort!.close();
    return;
  }
  const problems: string[] = [];
  let d: ReturnType<typeof decodePair> = null;
  try {
    d = decodePair(job, job.options, problems);
  } catch (err) {
    problems.push(err instanceof Error ? err.message : String(err));
  }
  if (!d) {
    parentPort!.postMessage({ id: job.id, ok: false, problems } satisfies WorkerReply);
    return;
  }
  const { reply, transfer } = replyFor(job.id, d);
  parentPort!.postMessage(reply, transfer);
});
