/**
 * TopK loss (Wu et al. 2016, "Bridging category-level and instance-level semantic image segmentation";
 * SegLoss `TopKLoss`): the mean of the largest k % of the per-pixel cross-entropies, so training
 * attends to the hardest pixels. SegLoss takes int(N·k/100) pixels of the whole batch with torch.topk;
 * SegLab takes the same count (at least one) and the same gradient: 1/count on each chosen pixel, a
 * tie at the cut shared evenly among the tied pixels (torch picks some of them).
 * Binary and multilabel mode: binary cross-entropy per element; multiclass: softmax cross-entropy
 * per pixel (an ignored pixel counts, with cross-entropy 0, as in SegLoss).
 */
import * as tf from '@tensorflow/tfjs';
import { softmaxCrossEntropyTerms } from './crossEntropy';
import { bceTerms } from './soft';
import { BINARY_MODE, defineLoss, MULTICLASS_MODE, MULTILABEL_MODE } from './types';

/**
 * The weight each value gets in the mean of the `count` largest: 1 above the count-th largest value,
 * the remaining share spread over the values tied with it, 0 below. A constant of the tape (its inner
 * ops are not recorded, its gradient is zero), so tfjs never looks for TopK's or Equal's gradient.
 */
function largestWeights(values: tf.Tensor1D, count: number): tf.Tensor1D {
  const weights = tf.customGrad(((x: tf.Tensor1D) => {
    const cut = tf.slice(tf.topk(x, count, true).values, [count - 1], [1]); // the count-th largest
    const above = tf.cast(tf.greater(x, cut), 'float32');
    const at = tf.cast(tf.equal(x, cut), 'float32');
    const share = tf.div(tf.sub(count, tf.sum(above)), tf.maximum(tf.sum(at), 1));
    return { value: tf.add(above, tf.mul(at, share)), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor) => tf.Tensor;
  return weights(values) as tf.Tensor1D;
}

/** The mean of the `count` largest values of a flat tensor, differentiable in them. */
export function meanOfLargest(values: tf.Tensor1D, count: number): tf.Scalar {
  return tf.div(tf.sum(tf.mul(values, largestWeights(values, count))), count) as tf.Scalar;
}

export const topK = defineLoss({
  name: 'topK',
  summary: 'TopK loss: the mean cross-entropy of the k % hardest pixels.',
  reference: 'Wu et al. 2016; SegLoss TopKLoss (k = 10: int(N·k/100) of the whole batch by torch.topk, then the mean).',
  modes: [BINARY_MODE, MULTICLASS_MODE, MULTILABEL_MODE],
  options: {
    k: { type: 'number', default: 10, min: 1e-9, max: 100, description: 'percentage of pixels (or elements) kept' },
  },
  fn: (input, o) =>
    tf.tidy(() => {
      const terms =
        input.mode === MULTICLASS_MODE
          ? softmaxCrossEntropyTerms(input, null, 0).loss
          : bceTerms(input.pred, input.target, input.fromLogits);
      const flat = tf.reshape(terms, [-1]) as tf.Tensor1D;
      const count = Math.max(1, Math.floor((flat.size * o.k) / 100));
      return meanOfLargest(flat, count);
    }),
});
