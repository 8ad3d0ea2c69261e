/**
 * A 2×2 stride-2 transposed convolution (U-Net's "up-convolution") as one matMul plus
 * reshape/transpose. Same result as conv2dTranspose(kernel 2, stride 2), but built from kernels that
 * are fast on every backend (wasm's Conv2DBackpropInput is slow, see shared/notes/tfjs-backends.md).
 * Kernel layout [Cin, 2·2·Cout]: output pixel (2y+a, 2x+b) = x[y, x] · K[:, (a, b, :)] + bias.
 */
import * as tf from '@tensorflow/tfjs';

export interface UpConv2x2Config {
  filters: number;
  seed?: number;
  name?: string;
  trainable?: boolean;
}

export class UpConv2x2 extends tf.layers.Layer {
  static readonly className = 'SegLabUpConv2x2';
  readonly filters: number;
  private readonly seed?: number;
  private kernel!: tf.LayerVariable;
  private bias!: tf.LayerVariable;

  constructor(config: UpConv2x2Config) {
    super(config);
    this.filters = config.filters;
    this.seed = config.seed;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const cin = shape[3] as number;
    this.kernel = this.addWeight('kernel', [cin, 4 * this.filters], 'float32', tf.initializers.heNormal({ seed: this.seed }));
    this.bias = this.addWeight('bias', [this.filters], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return [s[0], s[1] == null ? null : (s[1] as number) * 2, s[2] == null ? null : (s[2] as number) * 2, this.filters];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const [n, h, w, c] = x.shape;
      const f = this.filters;
      const y = tf.matMul(tf.reshape(x, [n * h * w, c]), this.kernel.read());
      // [n, h, w, a, b, f] → [n, h, a, w, b, f], done as two rank-5 transposes-free reshapes:
      const rows = tf.reshape(y, [n * h, w, 2, 2 * f]); // (a, b, f) → a, (b, f)
      const swapped = tf.transpose(rows, [0, 2, 1, 3]); // [n·h, a, w, (b, f)]
      return tf.add(tf.reshape(swapped, [n, 2 * h, 2 * w, f]), this.bias.read());
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), filters: this.filters, seed: this.seed ?? null };
  }
}

tf.serialization.registerClass(UpConv2x2);
