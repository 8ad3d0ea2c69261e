/**
 * SegLab's own kernels for tfjs-backend-webgpu 4.22, where its own give wrong results for SegLab's use.
 *
 * Cast int32/bool → float32: tfjs-backend-webgpu treats it as lossless and returns the same buffer
 * under the new dtype, but a WebGPU buffer is typed (array<i32> in the shader), so the next kernel either
 * fails to compile ("type mismatch … expected 'f32', got 'i32'" for a transpose) or reads integer bits as
 * floats. SegLab casts one-hot class targets (int32) to float32 in every multi-class loss; this kernel
 * converts on the GPU (f32(a) per element), and defers every other cast to the original kernel.
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

/** out[i] = f32(A[i]): an elementwise program in tfjs-backend-webgpu's program interface. */
function castToFloatProgram(shape: number[], util: WebgpuUtil) {
  const workgroupSize: [number, number, number] = [128, 1, 1];
  const dispatchLayout = util.flatDispatchLayout(shape);
  return {
    variableNames: ['A'],
    size: true,
    workgroupSize,
    outputShape: shape,
    dispatchLayout,
    dispatch: util.computeDispatch(dispatchLayout, shape, workgroupSize),
    shaderKey: 'seglab_cast_to_float32',
    getUserCode: () => `
      fn main(index : i32) {
        if (index < uniforms.size) {
          setOutputAtIndex(index, f32(getAByOutputIndex(index)));
        }
      }`,
  };
}

let registered = false;

/** Replaces the webgpu kernels above (once per process; call after tfjs-backend-webgpu loaded). */
export function registerWebgpuKernels(util: WebgpuUtil): void {
  if (registered) return;
  const original = tf.getKernel('Cast', 'webgpu');
  if (!original) throw new Error("tfjs-backend-webgpu registered no 'Cast' kernel");
  tf.unregisterKernel('Cast', 'webgpu');
  tf.registerKernel({
    kernelName: 'Cast',
    backendName: 'webgpu',
    kernelFunc: (args) => {
      const x = args.inputs.x as tf.TensorInfo;
      const dtype = (args.attrs as { dtype: tf.DataType }).dtype;
      if (dtype !== 'float32' || (x.dtype !== 'int32' && x.dtype !== 'bool')) return original.kernelFunc(args);
      const backend = args.backend as unknown as WebgpuBackendLike;
      const size = x.shape.reduce((a, b) => a * b, 1);
      const values = backend.tensorMap.get(x.dataId).values;
      if (size === 0 || (values && backend.shouldExecuteOnCPU([x]))) {
        return backend.makeTensorInfo(x.shape, 'float32', Float32Array.from(values ?? []));
      }
      return backend.runWebGPUProgram(castToFloatProgram(x.shape, util), [x], 'float32');
    },
  });
  registered = true;
}
