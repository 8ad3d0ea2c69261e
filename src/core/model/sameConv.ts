/**
 * A stride-1 'same' 2-D convolution layer that runs the plain `Conv2D` kernel (plus a bias add)
 * instead of tfjs-layers' fused convolution. The fused op computes its filter gradient with
 * `Conv2DBackpropFilter` inside its own custom gradient, which the wasm backend does not have; the
 * plain kernel's gradient is tfjs's own, whose Conv2DBackpropFilter SegLab registers for wasm (kernels/).
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
      const y = tf.conv2d(x, this.kernel.read() as tf.Tensor4D, 1, 'same');
      return this.bias ? tf.add(y, this.bias.read()) : y;
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
