/**
 * SegLab's own kernels for tfjs-backend-webgpu 4.22, where its own give wrong results or are slow for
 * SegLab's shapes.
 *
 * Cast int32/bool → float32: tfjs-backend-webgpu treats it as lossless and returns the same buffer
 * under the new dtype, but a WebGPU buffer is typed (array<i32> in the shader), so the next kernel either
 * fails to compile ("type mismatch … expected 'f32', got 'i32'" for a transpose) or reads integer bits as
 * floats. SegLab casts one-hot class targets (int32) to float32 in every multi-class loss; this kernel
 * converts on the GPU (f32(a) per element), and defers every other cast to the original kernel.
 *
 * Sum / Max / Min / Mean over the last axis, and Softmax, when that axis is short (the channels of a
 * segmentation output: 2 for softmax2): tfjs-backend-webgpu runs one workgroup of 64 threads per output
 * value, so a [8, 256, 256, 2] log-softmax starts half a million workgroups with 2 busy threads each
 * (measured on lavapipe: 4.1 s against 25 ms for an elementwise op on the same tensor). Here one thread
 * handles one row, in channel order (the order the CPU backends sum in). Other shapes go to the
 * original kernels.
 */
import * as tf from '@tensorflow/tfjs';

interface WebgpuBackendLike {
  shouldExecuteOnCPU(inputs: tf.TensorInfo[]): boolean;
  tensorMap: { get(dataId: unknown): { values?: ArrayLike<number> | null } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: Float32Array): tf.TensorInfo;
  runWebGPUProgram(program: unknown, inputs: tf.TensorInfo[], outputDtype: tf.DataType): tf.TensorInfo;
}

interface WebgpuUtil {
  flatDispatchLayout(shape: number[]): { x: number[] };
  computeDispatch(layout: { x: number[] }, shape: number[], workgroupSize: number[]): [number, number, number];
}

/** Rows longer than this keep tfjs-backend-webgpu's own (workgroup-per-row) reductions. */
const SHORT_ROW = 64;

/** A flat program over `threads` invocations in tfjs-backend-webgpu's program interface. */
function program(outputShape: number[], threads: number, shaderKey: string, body: string, util: WebgpuUtil) {
  const workgroupSize: [number, number, number] = [128, 1, 1];
  const dispatchLayout = util.flatDispatchLayout([threads]);
  return {
    variableNames: ['A'],
    size: true,
    workgroupSize,
    outputShape,
    dispatchLayout,
    dispatch: util.computeDispatch(dispatchLayout, [threads], workgroupSize),
    shaderKey,
    getUserCode: () => `
      fn main(index : i32) {
        ${body}
      }`,
  };
}

/** out[i] = f32(A[i]). */
function castToFloatProgram(shape: number[], util: WebgpuUtil) {
  const size = shape.reduce((a, b) => a * b, 1);
  const body = 'if (index < uniforms.size) { setOutputAtIndex(index, f32(getAByOutputIndex(index))); }';
  return program(shape, size, 'seglab_cast_to_float32', body, util);
}

type RowReduction = 'sum' | 'max' | 'min' | 'mean';

/** out[r] = reduce(A[r·C .. r·C + C − 1]), left to right; max/min propagate NaN as tfjs does. */
function rowReduceProgram(outputShape: number[], rows: number, c: number, op: RowReduction, util: WebgpuUtil) {
  const step =
    op === 'sum' || op === 'mean'
      ? 'acc = acc + v;'
      : `if (isnan(v)) { acc = v; } else if (!isnan(acc) && v ${op === 'max' ? '>' : '<'} acc) { acc = v; }`;
  const body = `
        if (index < uniforms.size) {
          let base = index * ${c};
          var acc = A[base];
          for (var k = 1; k < ${c}; k = k + 1) {
            let v = A[base + k];
            ${step}
          }
          setOutputAtIndex(index, ${op === 'mean' ? `acc / f32(${c})` : 'acc'});
        }`;
  return program(outputShape, rows, `seglab_row_${op}_${c}`, body, util);
}

/** Softmax of each row of C values: max, Σ exp(x − max), then each exp(x − max) / Σ. */
function rowSoftmaxProgram(shape: number[], rows: number, c: number, util: WebgpuUtil) {
  const body = `
        if (index < uniforms.size / ${c}) {
          let base = index * ${c};
          var m = A[base];
          for (var k = 1; k < ${c}; k = k + 1) { m = max(m, A[base + k]); }
          var total = 0.0;
          for (var k = 0; k < ${c}; k = k + 1) { total = total + exp(A[base + k] - m); }
          for (var k = 0; k < ${c}; k = k + 1) { setOutputAtIndex(base + k, exp(A[base + k] - m) / total); }
        }`;
  return program(shape, rows, `seglab_row_softmax_${c}`, body, util);
}

/** How many innermost axes a reduction covers and their total size, when they are exactly the last ones. */
function innermostAxes(shape: number[], axis: number | number[]): { count: number; size: number } | null {
  const axes = tf.util.parseAxisParam(axis, shape).sort((a, b) => a - b);
  if (axes.length === 0 || axes.some((a, i) => a !== shape.length - axes.length + i)) return null;
  return { count: axes.length, size: axes.reduce((n, a) => n * shape[a], 1) };
}

let registered = false;

/** Replaces a webgpu kernel by `kernelFunc`, which may hand any call to the original. */
function override(name: string, kernelFunc: (args: tf.NamedAttrMap & KernelArgs, original: tf.KernelFunc) => tf.TensorInfo): void {
  const original = tf.getKernel(name, 'webgpu');
  if (!original) throw new Error(`tfjs-backend-webgpu registered no '${name}' kernel`);
  tf.unregisterKernel(name, 'webgpu');
  tf.registerKernel({ kernelName: name, backendName: 'webgpu', kernelFunc: (args) => kernelFunc(args as never, original.kernelFunc) });
}

interface KernelArgs {
  inputs: Record<string, tf.TensorInfo>;
  backend: WebgpuBackendLike;
  attrs: Record<string, unknown>;
}

/** Replaces the webgpu kernels above (once per process; call after tfjs-backend-webgpu loaded). */
export function registerWebgpuKernels(util: WebgpuUtil): void {
  if (registered) return;
  override('Cast', (args, original) => {
    const { inputs, backend, attrs } = args as unknown as KernelArgs;
    const x = inputs.x;
    if (attrs.dtype !== 'float32' || (x.dtype !== 'int32' && x.dtype !== 'bool')) return original(args as never) as tf.TensorInfo;
    const size = x.shape.reduce((a, b) => a * b, 1);
    const values = backend.tensorMap.get(x.dataId).values;
    if (size === 0 || (values && backend.shouldExecuteOnCPU([x]))) {
      return backend.makeTensorInfo(x.shape, 'float32', Float32Array.from(values ?? []));
    }
    return backend.runWebGPUProgram(castToFloatProgram(x.shape, util), [x], 'float32');
  });
  for (const [name, op] of [
    ['Sum', 'sum'],
    ['Max', 'max'],
    ['Min', 'min'],
    ['Mean', 'mean'],
  ] as const) {
    override(name, (args, original) => {
      const { inputs, backend, attrs } = args as unknown as KernelArgs;
      const x = inputs.x;
      const row = innermostAxes(x.shape, (attrs.axis ?? attrs.reductionIndices) as number | number[]);
      const size = x.shape.reduce((a, b) => a * b, 1);
      if (x.dtype !== 'float32' || row === null || row.size > SHORT_ROW || size === 0 || backend.shouldExecuteOnCPU([x])) {
        return original(args as never) as tf.TensorInfo;
      }
      const outer = x.shape.slice(0, x.shape.length - row.count);
      if (outer.length === 0) return original(args as never) as tf.TensorInfo; // a whole short tensor
      const shape = attrs.keepDims ? [...outer, ...new Array<number>(row.count).fill(1)] : outer;
      return backend.runWebGPUProgram(rowReduceProgram(shape, size / row.size, row.size, op, util), [x], 'float32');
    });
  }
  override('Softmax', (args, original) => {
    const { inputs, backend, attrs } = args as unknown as KernelArgs;
    const x = inputs.logits;
    const dim = attrs.dim as number;
    const c = x.shape[dim];
    const size = x.shape.reduce((a, b) => a * b, 1);
    if (x.dtype !== 'float32' || dim !== x.shape.length - 1 || c > SHORT_ROW || size === 0 || backend.shouldExecuteOnCPU([x])) {
      return original(args as never) as tf.TensorInfo;
    }
    return backend.runWebGPUProgram(rowSoftmaxProgram(x.shape, size / c, c, util), [x], 'float32');
  });
  registered = true;
}
