/**
 * U-Net (Ronneberger et al. 2015), small: `depth` down-sampling levels, two 3×3 'same' conv + ReLU
 * (optionally batch-normalised: batchNorm.ts) per level, 2×2 max-pool down, 2×2 stride-2 up-convolution, skip
 * concatenation, and a 1×1 convolution head that outputs logits:
 *   sigmoid1 → 1 channel (binary), softmax2 → 2 channels, softmaxN → N channels (multiclass),
 *   sigmoidN → N independent channels (multilabel).
 * Every layer's initializer seed is derived from the model seed and the layer's position, so two
 * models with the same seed and body hyper-parameters have identical body weights whatever the head.
 */
import * as tf from '@tensorflow/tfjs';
import { LossMode } from '../common/modes';
import { BatchNorm } from './batchNorm';
import { SameConv2D } from './sameConv';
import { UpConv2x2 } from './upConv';

export const HEADS = ['sigmoid1', 'softmax2', 'softmaxN', 'sigmoidN'] as const;
export type Head = (typeof HEADS)[number];

export interface UnetOptions {
  inputChannels: number;
  depth: number;
  baseFilters: number;
  batchNorm: boolean;
  head: Head;
  /** Output channels for softmaxN / sigmoidN (ignored by sigmoid1 / softmax2). */
  classes?: number;
  seed: number;
}

export function headChannels(head: Head, classes?: number): number {
  if (head === 'sigmoid1') return 1;
  if (head === 'softmax2') return 2;
  if (!classes || classes < 2) throw new Error(`head ${head} needs classes ≥ 2, got ${classes}`);
  return classes;
}

export function headMode(head: Head): LossMode {
  return head === 'sigmoid1' ? 'binary' : head === 'sigmoidN' ? 'multilabel' : 'multiclass';
}

/** The name of the head layer; every other weight belongs to the body. */
export const HEAD_LAYER = 'head';

export function buildUnet(o: UnetOptions): tf.LayersModel {
  if (!(o.depth >= 1 && o.depth <= 6)) throw new Error(`model.depth must be 1…6, got ${o.depth}`);
  let layerIndex = 0;
  const seedOf = () => (o.seed * 1000 + layerIndex++) % 2147483647;
  const conv = (x: tf.SymbolicTensor, filters: number, name: string) => {
    let y = new SameConv2D({ filters, kernelSize: 3, useBias: !o.batchNorm, seed: seedOf(), name }).apply(x) as tf.SymbolicTensor;
    if (o.batchNorm) y = new BatchNorm({ name: `${name}_bn` }).apply(y) as tf.SymbolicTensor;
    return tf.layers.reLU({ name: `${name}_relu` }).apply(y) as tf.SymbolicTensor;
  };
  const block = (x: tf.SymbolicTensor, filters: number, name: string) => conv(conv(x, filters, `${name}_conv1`), filters, `${name}_conv2`);

  const input = tf.input({ shape: [null, null, o.inputChannels], name: 'image' });
  const skips: tf.SymbolicTensor[] = [];
  let x = input;
  for (let level = 0; level < o.depth; level++) {
    x = block(x, o.baseFilters * 2 ** level, `down${level}`);
    skips.push(x);
    x = tf.layers.maxPooling2d({ poolSize: 2, strides: 2, name: `pool${level}` }).apply(x) as tf.SymbolicTensor;
  }
  x = block(x, o.baseFilters * 2 ** o.depth, 'bottom');
  for (let level = o.depth - 1; level >= 0; level--) {
    const filters = o.baseFilters * 2 ** level;
    x = new UpConv2x2({ filters, seed: seedOf(), name: `up${level}` }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.concatenate({ axis: -1, name: `skip${level}` }).apply([skips[level], x]) as tf.SymbolicTensor;
    x = block(x, filters, `dec${level}`);
  }
  const logits = new SameConv2D({
    filters: headChannels(o.head, o.classes),
    kernelSize: 1,
    init: 'glorotUniform',
    seed: seedOf(),
    name: HEAD_LAYER,
  }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits, name: `unet_${o.head}` });
}

/** A 'same' convolution of the U-Net: its input is 2^level times smaller than the image on each side. */
export interface ConvLayer {
  name: string;
  level: number;
  cin: number;
  cout: number;
  k: number;
}

/** Every SameConv2D layer buildUnet(o) makes, in build order (a unit test holds the two together). */
export function convLayers(o: Omit<UnetOptions, 'seed' | 'batchNorm'>): ConvLayer[] {
  const out: ConvLayer[] = [];
  const block = (name: string, level: number, cin: number, f: number) =>
    out.push({ name: `${name}_conv1`, level, cin, cout: f, k: 3 }, { name: `${name}_conv2`, level, cin: f, cout: f, k: 3 });
  let cin = o.inputChannels;
  for (let level = 0; level < o.depth; level++) {
    block(`down${level}`, level, cin, o.baseFilters * 2 ** level);
    cin = o.baseFilters * 2 ** level;
  }
  block('bottom', o.depth, cin, o.baseFilters * 2 ** o.depth);
  for (let level = o.depth - 1; level >= 0; level--)
    block(`dec${level}`, level, 2 * o.baseFilters * 2 ** level, o.baseFilters * 2 ** level);
  out.push({ name: HEAD_LAYER, level: 0, cin: o.baseFilters, cout: headChannels(o.head, o.classes), k: 1 });
  return out;
}

/** Spatial sizes must be multiples of 2^depth for the pooling / up-convolution to line up. */
export function sizeMultiple(depth: number): number {
  return 2 ** depth;
}
