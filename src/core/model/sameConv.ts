/**
 * A stride-1 'same' 2-D convolution layer (with bias, no activation: the U-Net's ReLU is a layer of
 * its own). It runs `tf.fused.conv2d` with a linear activation, which tfjs keeps as one FusedConv2D
 * kernel even under gradients: backends add the bias inside the convolution instead of in a second
 * pass (on wasm, SegLab's kernel in kernels/tfjsWasm.ts). Its gradient is Conv2DBackpropInput,
 * Conv2DBackpropFilter (tfjs-backend-wasm has none; SegLab registers one) and a Sum for the bias.
 */
import * as tf from '@tensorflow/tfjs';

export interface SameConv2DConfig {
  filters: number;
  kernelSize: number;
  useBias?: boolean;
  /** 'heNormal' (default, for ReLU layers) or 'glorotUniform' (the linear head). */
  init?: 'heNormal' | 'glorotUniform';
  seed?: number;
  name?: string;
  trainable?: boolean;
}

export class SameConv2D extends tf.layers.Layer {
  static readonly className = 'SegLabSameConv2D';
  readonly filters: number;
  readonly kernelSize: number;
  readonly useBias: boolean;
  private readonly init: 'heNormal' | 'glorotUniform';
  private readonly seed?: number;
  private kernel!: tf.LayerVariable;
  private bias?: tf.LayerVariable;

  constructor(config: SameConv2DConfig) {
    super(config);
    this.filters = config.filters;
    this.kernelSize = config.kernelSize;
    this.useBias = config.useBias ?? true;
    this.init = config.init ?? 'heNormal';
    this.seed = config.seed;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const k = this.kernelSize;
    const init =
      this.init === 'heNormal' ? tf.initializers.heNormal({ seed: this.seed }) : tf.initializers.glorotUniform({ seed: this.seed });
    this.kernel = this.addWeight('kernel', [k, k, shape[3] as number, this.filters], 'float32', init);
    if (this.useBias) this.bias = this.addWeight('bias', [this.filters], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return [s[0], s[1], s[2], this.filters];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      // One fused op (conv + bias, linear): tfjs keeps it fused under gradients, so backends run the
      // bias add inside the convolution (its gradient is the same Conv2DBackprop* ops and a Sum).
      return tf.fused.conv2d({ x, filter: this.kernel.read() as tf.Tensor4D, strides: 1, pad: 'same', bias: this.bias?.read() });
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernelSize: this.kernelSize,
      useBias: this.useBias,
      init: this.init,
      seed: this.seed ?? null,
    };
  }
}

tf.serialization.registerClass(SameConv2D);
