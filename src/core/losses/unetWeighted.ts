/**
 * U-Net's shape-aware loss (Ronneberger et al. 2015): cross-entropy weighted per pixel by the weight
 * map w(x) = w_c(x) + w0·exp(−(d1+d2)²/(2σ²)) of each target image (see weightmap/unetWeightMap).
 * binary: BCE; multiclass: softmax CE, objects being the connected components of each non-background
 * class. Reduction: mean(w·ℓ) over pixels (PyTorch's weighted mean with reduction='mean'), or
 * Σ(w·ℓ)/Σw with `normalize: 'weights'`.
 */
import * as tf from '@tensorflow/tfjs';
import { UNET_WEIGHT_DEFAULTS } from '../weightmap/defaults';
import { classBalanceWeights, unetBorderTerm } from '../weightmap/unetWeightMap';
import { Connectivity, labelComponents } from '../weightmap/label';
import { bceTerms, reduceWeighted } from './soft';
import { targetClassMaps } from './hostTarget';
import { softmaxCrossEntropyTerms } from './crossEntropy';
import { BINARY_MODE, defineLoss, LossInput, MULTICLASS_MODE, OptionsOf, OptionSpec } from './types';

/** Instance ids from a class map: the components of each class ≥ 1, numbered consecutively. */
function classInstances(classes: Int32Array, shape: [number, number], connectivity: Connectivity): Int32Array {
  const out = new Int32Array(classes.length);
  let next = 0;
  const present = [...new Set(classes)].filter((k) => k > 0).sort((a, b) => a - b);
  for (const k of present) {
    const { labels, count } = labelComponents(
      Uint8Array.from(classes, (v) => (v === k ? 1 : 0)),
      shape,
      connectivity,
    );
    for (let i = 0; i < labels.length; i++) if (labels[i] !== 0) out[i] = labels[i] + next;
    next += count;
  }
  return out;
}

const unetWeightedOptions = {
  w0: { type: 'number', default: UNET_WEIGHT_DEFAULTS.w0, min: 0, description: 'border weight w0' },
  sigma: { type: 'number', default: UNET_WEIGHT_DEFAULTS.sigma, min: 1e-6, description: 'border width σ in pixels' },
  borderOn: {
    type: 'string',
    default: 'background',
    choices: ['background', 'everywhere'],
    description: 'pixels that get the border term',
  },
  classWeights: {
    type: 'number[]',
    default: null,
    nullable: true,
    description: 'w_c: null = balanced (background 1, class k n_0/n_k), one weight per class, or one number for every class',
  },
  connectivity: { type: 'number', default: 4, min: 4, max: 8, description: 'object connectivity, 4 or 8' },
  normalize: { type: 'string', default: 'mean', choices: ['mean', 'weights'], description: 'divide by the pixel count or by Σw' },
} as const satisfies Record<string, OptionSpec>;

/** The weight map of a whole batch, [N,H,W,1]. */
export function batchWeightMap(input: LossInput, o: OptionsOf<typeof unetWeightedOptions>): tf.Tensor4D {
  if (o.connectivity !== 4 && o.connectivity !== 8) throw new Error(`unetWeighted.connectivity: 4 or 8, got ${o.connectivity}`);
  const connectivity: Connectivity = o.connectivity;
  const [n, h, w] = input.target.shape;
  const classes = targetClassMaps(input, 'unetWeighted');
  const out = new Float32Array(n * h * w);
  const classWeights = o.classWeights ?? 'balanced';
  for (let i = 0; i < n; i++) {
    const cls = classes.subarray(i * h * w, (i + 1) * h * w);
    const instances = classInstances(cls, [h, w], connectivity);
    const wc = classBalanceWeights(cls, classWeights);
    const border = unetBorderTerm(instances, [h, w], o.w0, o.sigma, o.borderOn);
    for (let j = 0; j < h * w; j++) out[i * h * w + j] = wc[j] + border[j];
  }
  return tf.tensor4d(out, [n, h, w, 1]);
}

export const unetWeighted = defineLoss({
  name: 'unetWeighted',
  spatial: true,
  summary: 'U-Net shape-aware loss: cross-entropy weighted by w(x) = w_c(x) + w0·exp(−(d1+d2)²/2σ²).',
  reference:
    'Ronneberger et al. 2015 eq. 2; BCE (binary) or softmax CE (multiclass) weighted per pixel, reduction as ' +
    "PyTorch's weighted mean (mean of w·ℓ).",
  modes: [BINARY_MODE, MULTICLASS_MODE],
  options: unetWeightedOptions,
  fn: (input, o) => {
    const w = batchWeightMap(input, o);
    if (input.mode === MULTICLASS_MODE) {
      const { loss, norm } = softmaxCrossEntropyTerms(input, null, 0, w);
      return o.normalize === 'weights' ? (tf.div(tf.sum(loss), tf.sum(norm)) as tf.Scalar) : (tf.mean(loss) as tf.Scalar);
    }
    return reduceWeighted(bceTerms(input.pred, input.target, input.fromLogits), w, o.normalize);
  },
});
