/**
 * Lovász losses (Berman, Rannen Triki & Blaschko, CVPR 2018): the Lovász extension of the Jaccard
 * loss, a convex surrogate optimised directly on IoU.
 * For a group of pixels with errors e (sorted descending) and ground truth g in the same order:
 *   J_k = 1 − (Σg − cumsum(g)_k) / (Σg + cumsum(1−g)_k),  ∇_k = J_k − J_{k−1},  loss = Σ_k f(e_k)·∇_k
 * - `lovaszHinge` (binary; multilabel averages the channels): e = 1 − s·(2g−1) on logits s, f = ReLU.
 *   `perImage` averages per-image losses (Berman's default per_image=True); the default, false, pools
 *   the batch (smp's default).
 * - `lovaszSoftmax` (multiclass): for each class c, e = |[y = c] − p_c|, f = identity; averaged over
 *   the classes present in the target (`classes: 'present'`, Berman's default) or all classes.
 * The sort order is treated as a constant, as in the reference implementation (the loss is piecewise
 * linear in the errors, so ties do not change its value).
 */
import * as tf from '@tensorflow/tfjs';
import { classTargets, marginScores, probabilities } from './soft';
import { BINARY_MODE, defineLoss, MULTICLASS_MODE, MULTILABEL_MODE } from './types';

/**
 * ∇ of one group, in the order of the errors sorted descending (g sorted the same way), on the device.
 * With u_k = Σg − cumsum(g)_k and v_k = Σg + (k+1) − cumsum(g)_k (so J_k = 1 − u_k/v_k):
 *   ∇_0 = J_0 = 1/v_0,  ∇_k = (u_{k−1}(1 − g_k) + g_k·v_{k−1}) / (v_{k−1}·v_k)
 * which is J_k − J_{k−1} without the cancellation of subtracting two float32 numbers close to each
 * other (every term is ≥ 0; v_k ≥ k + 1).
 */
function lovaszGradSorted(sortedTruth: tf.Tensor1D): tf.Tensor1D {
  const n = sortedTruth.shape[0];
  const cum = tf.cumsum(sortedTruth);
  const total = tf.sum(sortedTruth);
  const rank = tf.range(1, n + 1);
  const u = tf.sub(total, cum);
  const v = tf.add(u, rank);
  const uPrev = tf.add(u, sortedTruth);
  const vPrev = tf.sub(tf.add(v, sortedTruth), 1);
  const numerator = tf.add(tf.mul(uPrev, tf.sub(1, sortedTruth)), tf.mul(sortedTruth, vPrev));
  const rest = tf.div(numerator, tf.mul(vPrev, v));
  return tf.where(tf.equal(rank, 1), tf.div(1, v), rest) as tf.Tensor1D;
}

/**
 * Σ_k f(e_k)·∇_k for one group of pixels; `errors` and `truth` are 1-D. The sort order and ∇ depend
 * only on the current values and are constants for the gradient (as in the reference implementation),
 * so the gradient is f'(e_i)·∇ scattered back to each pixel's position. Everything stays on the
 * backend's device (a GPU backend is never read back inside a training step).
 */
const lovaszOnGroup = (hingeActivation: boolean) =>
  tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [errors, truth, save] = args as [tf.Tensor1D, tf.Tensor1D, tf.GradSaveFunc];
    const n = errors.shape[0];
    const order = tf.topk(errors, n).indices;
    const sortedErrors = tf.gather(errors, order);
    const grad = lovaszGradSorted(tf.gather(truth, order) as tf.Tensor1D);
    const f = hingeActivation ? tf.relu(sortedErrors) : sortedErrors;
    save([order, sortedErrors, grad]);
    return {
      value: tf.sum(tf.mul(f, grad)),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [savedOrder, savedErrors, savedGrad] = saved;
        // f'(e): ReLU's is the step e > 0 (as tf.relu's gradient), identity's is 1.
        const slope = hingeActivation ? tf.mul(savedGrad, tf.cast(tf.greater(savedErrors, 0), 'float32')) : savedGrad;
        const perPixel = tf.scatterND(tf.reshape(savedOrder, [n, 1]), slope, [n]);
        return [tf.mul(dy, perPixel), tf.zerosLike(truth)];
      },
    };
  });
const hingeGroup = lovaszOnGroup(true);
const softmaxGroup = lovaszOnGroup(false);

/** Splits [N,H,W,C] channel `c` into 1-D groups: one per image, or one for the whole batch. */
function groups(t: tf.Tensor4D, c: number, perImage: boolean): tf.Tensor1D[] {
  const [n, h, w] = t.shape;
  const channel = tf.slice(t, [0, 0, 0, c], [n, h, w, 1]);
  if (!perImage) return [tf.reshape(channel, [n * h * w]) as tf.Tensor1D];
  return Array.from({ length: n }, (_, i) => tf.reshape(tf.slice(channel, [i, 0, 0, 0], [1, h, w, 1]), [h * w]) as tf.Tensor1D);
}

function mean(values: tf.Scalar[]): tf.Scalar {
  return values.length === 0 ? tf.scalar(0) : (tf.div(tf.addN(values), values.length) as tf.Scalar);
}

export const lovaszHinge = defineLoss({
  name: 'lovaszHinge',
  summary: 'Lovász hinge: convex surrogate of the binary Jaccard loss on logits.',
  reference: 'Berman et al. 2018, lovasz_hinge (errors 1 − s·(2y−1), ReLU); per_image default false as smp.',
  modes: [BINARY_MODE, MULTILABEL_MODE],
  options: {
    perImage: { type: 'boolean', default: false, description: 'average per-image losses (Berman: true; smp: false)' },
  },
  fn: (input, o) => {
    const scores = marginScores(input.pred, input.fromLogits) as tf.Tensor4D;
    const signs = tf.sub(tf.mul(input.target, 2), 1) as tf.Tensor4D;
    const errors = tf.sub(1, tf.mul(scores, signs)) as tf.Tensor4D;
    const perChannel: tf.Scalar[] = [];
    for (let c = 0; c < input.pred.shape[3]; c++) {
      const e = groups(errors, c, o.perImage);
      const g = groups(input.target, c, o.perImage);
      perChannel.push(mean(e.map((ei, i) => hingeGroup(ei, g[i]) as tf.Scalar)));
    }
    return mean(perChannel);
  },
});

export const lovaszSoftmax = defineLoss({
  name: 'lovaszSoftmax',
  summary: 'Lovász-softmax: surrogate of the per-class Jaccard loss on softmax probabilities.',
  reference: "Berman et al. 2018, lovasz_softmax (classes='present', per_image=False by default).",
  modes: [MULTICLASS_MODE],
  options: {
    perImage: { type: 'boolean', default: false, description: 'average per-image losses' },
    classes: { type: 'string', default: 'present', choices: ['present', 'all'], description: 'which classes are averaged' },
  },
  fn: (input, o) => {
    const p = probabilities(input);
    const y = classTargets(input);
    const perImage = o.perImage;
    const groupCount = perImage ? p.shape[0] : 1;
    const losses: tf.Scalar[][] = Array.from({ length: groupCount }, () => []);
    const counted: tf.Scalar[][] = Array.from({ length: groupCount }, () => []);
    for (let c = 0; c < p.shape[3]; c++) {
      const pc = groups(p, c, perImage);
      groups(y, c, perImage).forEach((truth, i) => {
        losses[i].push(softmaxGroup(tf.abs(tf.sub(truth, pc[i])), truth) as tf.Scalar);
        // 'present': a class absent from the group's labelled pixels (ignored pixels one-hot to
        // all-zero rows) does not count; computed on the device, not read back.
        counted[i].push(o.classes === 'present' ? (tf.cast(tf.greater(tf.sum(truth), 0), 'float32') as tf.Scalar) : tf.scalar(1));
      });
    }
    // The mean over the counted classes of each group (0 when none is), then over the groups.
    const perGroup = losses.map((l, i) => {
      const weight = tf.stack(counted[i]);
      return tf.div(tf.sum(tf.mul(tf.stack(l), weight)), tf.maximum(tf.sum(weight), 1)) as tf.Scalar;
    });
    return mean(perGroup);
  },
});
