/**
 * Matthews-correlation loss `mcc` (smp MCCLoss, after Abhishek & Hamarneh 2021): 1 − MCC of soft
 * counts summed over the whole batch, each count plus eps:
 *   TP = Σ p·y + ε, TN = Σ (1−p)(1−y) + ε, FP = Σ p(1−y) + ε, FN = Σ (1−p)·y + ε,
 *   loss = 1 − (TP·TN − FP·FN)/√((TP+FP)(TP+FN)(TN+FP)(TN+FN)).
 * Binary mode is smp's loss exactly. Beyond smp: with several channels (multilabel, or multiclass
 * after softmax) each channel is one-vs-rest and the loss is 1 − the mean of their MCCs;
 * `includeBackground: false` drops channel 0 (the softmax2 head gets that by default, so both heads
 * optimise the foreground's MCC).
 */
import * as tf from '@tensorflow/tfjs';
import { classTargets, probabilities, selectChannels } from './soft';
import { BINARY_MODE, defineLoss, MULTICLASS_MODE, MULTILABEL_MODE } from './types';

export const mcc = defineLoss({
  name: 'mcc',
  summary: 'Matthews-correlation loss 1 − (TP·TN − FP·FN)/√((TP+FP)(TP+FN)(TN+FP)(TN+FN)) on soft counts.',
  reference: 'smp MCCLoss (eps 1e-5 added to each batch-wide soft count); several channels: one-vs-rest, mean of the MCCs.',
  modes: [BINARY_MODE, MULTICLASS_MODE, MULTILABEL_MODE],
  options: {
    eps: { type: 'number', default: 1e-5, min: 0, description: 'added to each soft count (smp eps)' },
    includeBackground: { type: 'boolean', default: true, description: 'multiclass/multilabel: keep channel 0' },
  },
  fn: (input, o) =>
    tf.tidy(() => {
      const p = selectChannels(probabilities(input), input, o.includeBackground);
      const y = selectChannels(classTargets(input), input, o.includeBackground);
      const axes = [0, 1, 2]; // batch-wide, per channel
      const [notP, notY] = [tf.sub(1, p), tf.sub(1, y)];
      const tp = tf.add(tf.sum(tf.mul(p, y), axes), o.eps);
      const tn = tf.add(tf.sum(tf.mul(notP, notY), axes), o.eps);
      const fp = tf.add(tf.sum(tf.mul(p, notY), axes), o.eps);
      const fn = tf.add(tf.sum(tf.mul(notP, y), axes), o.eps);
      const numerator = tf.sub(tf.mul(tp, tn), tf.mul(fp, fn));
      const denominator = tf.sqrt(tf.mul(tf.mul(tf.add(tp, fp), tf.add(tp, fn)), tf.mul(tf.add(tn, fp), tf.add(tn, fn))));
      return tf.sub(1, tf.mean(tf.div(numerator, denominator))) as tf.Scalar;
    }),
});
