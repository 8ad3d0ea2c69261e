/**
 * Sensitivity-specificity loss `sensitivitySpecificity` (Brosch et al. 2015; SegLoss SSLoss): per
 * channel, the squared error weighted towards the target's foreground and background,
 *   r·Σ(y − p)²·y/(Σy + s) + (1 − r)·Σ(y − p)²·(1 − y)/(Σ(1 − y) + s),
 * per image by default (SegLoss batch_dice=False; `perImage: false` sums over the batch), then the
 * mean over images and channels; `includeBackground: false` drops channel 0 (SegLoss do_bg), which
 * the softmax2 head gets by default.
 */
import * as tf from '@tensorflow/tfjs';
import { classTargets, probabilities, selectChannels } from './soft';
import { BINARY_MODE, defineLoss, MULTICLASS_MODE, MULTILABEL_MODE } from './types';

export const sensitivitySpecificity = defineLoss({
  name: 'sensitivitySpecificity',
  summary: 'Sensitivity-specificity loss r·Σ(y−p)²y/(Σy+s) + (1−r)·Σ(y−p)²(1−y)/(Σ(1−y)+s).',
  reference: 'Brosch et al. 2015; SegLoss SSLoss (r 0.1, smooth 1, per image, mean over images and channels).',
  modes: [BINARY_MODE, MULTICLASS_MODE, MULTILABEL_MODE],
  options: {
    r: { type: 'number', default: 0.1, min: 0, max: 1, description: 'weight of the foreground (sensitivity) term' },
    smooth: { type: 'number', default: 1, min: 0, description: 'added to both denominators' },
    perImage: { type: 'boolean', default: true, description: 'one value per image (SegLoss batch_dice=False); false: batch-wide sums' },
    includeBackground: { type: 'boolean', default: true, description: 'multiclass/multilabel: keep channel 0' },
  },
  fn: (input, o) =>
    tf.tidy(() => {
      const p = selectChannels(probabilities(input), input, o.includeBackground);
      const y = selectChannels(classTargets(input), input, o.includeBackground);
      const axes = o.perImage ? [1, 2] : [0, 1, 2];
      const notY = tf.sub(1, y);
      const squared = tf.square(tf.sub(y, p));
      const sensitivity = tf.div(tf.sum(tf.mul(squared, y), axes), tf.add(tf.sum(y, axes), o.smooth));
      const specificity = tf.div(tf.sum(tf.mul(squared, notY), axes), tf.add(tf.sum(notY, axes), o.smooth));
      return tf.mean(tf.add(tf.mul(sensitivity, o.r), tf.mul(specificity, 1 - o.r))) as tf.Scalar;
    }),
});
