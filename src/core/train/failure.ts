/** How a failed run says why: the kind a user can act on (memory, disk, GPU) named first. */
import { gpuFailure } from '../backend/webgpu';

/** What an out-of-memory failure says, from the JS heap, tfjs, WebAssembly or SegLab's kernel pool. */
const OUT_OF_MEMORY =
  /out of memory|allocation failed|Array buffer allocation|memory access out of bounds|Maximum memory size|would exceed 4 GiB|WebAssembly\.Memory/i;

/**
 * A run's failure reason with the kind named first where it is one a user can act on: memory (V8's
 * heap, a WebAssembly memory that cannot grow: tfjs-wasm reports that as "memory access out of
 * bounds", SegLab's kernels as "would exceed 4 GiB") or a full disk (ENOSPC). What the GPU reported
 * explains a failure better than the error it caused downstream, so a GPU failure comes first.
 */
export function failureReason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const message = e?.message ?? String(err);
  const gpu = gpuFailure();
  if (gpu) return message.startsWith(gpu) ? message : gpu;
  if (e?.code === 'ENOSPC' || /ENOSPC|no space left on device/i.test(message)) return `disk full: ${message}`;
  if (OUT_OF_MEMORY.test(message)) {
    return `out of memory: ${message} (try smaller images or crop, a smaller batchSize or model, or --memory-budget for predict)`;
  }
  return message;
}
