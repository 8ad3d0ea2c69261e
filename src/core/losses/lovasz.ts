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
import { readTidy } from './readback';
import { classTargets, marginScores, probabilities } from './soft';
import { BINARY_MODE, LossDefinition, LossInput, LossOptions, MULTICLASS_MODE, MULTILABEL_MODE } from './types';

/**
 * Σ_k f(e_k)·∇_k for one group of pixels; `errors` and `truth` are 1-D. The sort order and ∇ depend
 * only on the current values, so they are computed as constants and ∇ is scattered back to each
 * pixel's position: the loss is Σ_i f(e_i)·w_i, differentiable with elementwise ops only (the wasm
 * backend has no kernel for the gradient of a gather).
 */
function lovaszOnGroup(errors: tf.Tensor1D, truth: tf.Tensor1D, hingeActivation: boolean): tf.Scalar {
  const n = errors.shape[0];
  const order = readTidy<'int32'>(() => tf.topk(errors, n).indices);
  const g = truth.dataSync();
  let total = 0;
  for (let i = 0; i < n; i++) total += g[i];
  const weights = new Float32Array(n);
  let cumTruth = 0;
  let previous = 0;
  for (let k = 0; k < n; k++) {
    const gk = g[order[k]];
    cumTruth += gk;
    const jaccard = 1 - (total - cumTruth) / (total + (k + 1 - cumTruth));
    weights[order[k]] = jaccard - previous;
    previous = jaccard;
  }
  const f = hingeActivation ? tf.relu(errors) : errors;
  return tf.sum(tf.mul(f, tf.tensor1d(weights))) as tf.Scalar;
}

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

export const lovaszHinge: LossDefinition = {
  name: 'lovaszHinge',
  summary: 'Lovász hinge: convex surrogate of the binary Jaccard loss on logits.',
  reference: 'Berman et al. 2018, lovasz_hinge (errors 1 − s·(2y−1), ReLU); per_image default false as smp.',
  modes: [BINARY_MODE, MULTILABEL_MODE],
  options: {
    perImage: { type: 'boolean', default: false, description: 'average per-image losses (Berman: true; smp: false)' },
  },
  fn: (input: LossInput, o: LossOptions) => {
    const scores = marginScores(input.pred, input.fromLogits) as tf.Tensor4D;
    const signs = tf.sub(tf.mul(input.target, 2), 1) as tf.Tensor4D;
    const errors = tf.sub(1, tf.mul(scores, signs)) as tf.Tensor4D;
    const perChannel: tf.Scalar[] = [];
    for (let c = 0; c < input.pred.shape[3]; c++) {
      const e = groups(errors, c, o.perImage as boolean);
      const g = groups(input.target, c, o.perImage as boolean);
      perChannel.push(mean(e.map((ei, i) => lovaszOnGroup(ei, g[i], true))));
    }
    return mean(perChannel);
  },
};

export const lovaszSoftmax: LossDefinition = {
  name: 'lovaszSoftmax',
  summary: 'Lovász-softmax: surrogate of the per-class Jaccard loss on softmax probabilities.',
  reference: "Berman et al. 2018, lovasz_softmax (classes='present', per_image=False by default).",
  modes: [MULTICLASS_MODE],
  options: {
    perImage: { type: 'boolean', default: false, description: 'average per-image losses' },
    classes: { type: 'string', default: 'present', choices: ['present', 'all'], description: 'which classes are averaged' },
  },
  fn: (input: LossInput, o: LossOptions) => {
    const p = probabilities(input);
    const y = classTargets(input);
    const perGroup: tf.Scalar[] = [];
    const perImage = o.perImage as boolean;
    const imageLosses: tf.Scalar[][] = perImage ? Array.from({ length: p.shape[0] }, () => []) : [[]];
    for (let c = 0; c < p.shape[3]; c++) {
      const pc = groups(p, c, perImage);
      const yc = groups(y, c, perImage);
      yc.forEach((truth, i) => {
        // Labelled pixels only (ignored pixels one-hot to all-zero rows).
        if (o.classes === 'present' && tf.sum(truth).dataSync()[0] === 0) return;
        imageLosses[i].push(lovaszOnGroup(tf.abs(tf.sub(truth, pc[i])) as tf.Tensor1D, truth, false));
      });
    }
    for (const losses of imageLosses) perGroup.push(mean(losses));
    return mean(perGroup);
  },
};
