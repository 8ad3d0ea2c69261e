/**
 * The grammar of one term of a loss expression ("bce", "0.5*dice", "monai:TverskyLoss",
 * "log1p(hausdorffDT)"), shared by the registry (which compiles expressions), the smp/MONAI aliases
 * (which rewrite them first), the head mapping and the ramps (which rewrite the name or the weight).
 *
 *   term      = [number "*"] [transform "("] name [")"]
 *   transform = "log1p" | "logcosh"
 *
 * A transform applies to the one loss it wraps, before the weight: w·f(L). `log1p(L)` = ln(1 + L)
 * (MONAI's LogHausdorffDTLoss is log1p(hausdorffDT)); `logcosh(L)` = ln cosh L (Jadon 2020's log-cosh
 * Dice is logcosh(dice)), computed as |L| + ln(1 + e^(−2|L|)) − ln 2, finite for any finite L.
 */
import * as tf from '@tensorflow/tfjs';

export const LOSS_TRANSFORMS = ['log1p', 'logcosh'] as const;
export type LossTransform = (typeof LOSS_TRANSFORMS)[number];

const NUMBER = '([0-9]*\\.?[0-9]+(?:e[-+]?[0-9]+)?)';
const NAME = '((?:monai:|smp:)?[A-Za-z][A-Za-z0-9]*)';
const TERM = new RegExp(`^\\s*(${NUMBER}\\s*\\*\\s*)?(?:(${LOSS_TRANSFORMS.join('|')})\\s*\\(\\s*${NAME}\\s*\\)|${NAME})\\s*$`);

/** One term of a loss expression ("0.5 * log1p(bce)"): the weight prefix as written, the weight, the transform, the name. */
export interface LossTerm {
  prefix: string;
  weight: number;
  transform?: LossTransform;
  name: string;
}

/** Reads one '+'-separated term of a loss expression; null when it is not "[number *] [transform(] name [)]". */
export function parseLossTerm(part: string): LossTerm | null {
  const m = TERM.exec(part);
  if (!m) return null;
  const term: LossTerm = { prefix: m[1] ?? '', weight: m[2] === undefined ? 1 : Number(m[2]), name: m[4] ?? m[5] };
  if (m[3] !== undefined) term.transform = m[3] as LossTransform;
  return term;
}

/** The term written back: `weight` (a number or the prefix as written) before the name, inside its transform. */
export function formatLossTerm(name: string, transform: LossTransform | undefined, prefix = ''): string {
  return `${prefix}${transform ? `${transform}(${name})` : name}`;
}

/** f(L) of a term's scalar value. */
export function applyTransform(transform: LossTransform | undefined, value: tf.Scalar): tf.Scalar {
  if (!transform) return value;
  return tf.tidy(() => {
    if (transform === 'log1p') return tf.log1p(value);
    const a = tf.abs(value);
    return tf.sub(tf.add(a, tf.log1p(tf.exp(tf.mul(-2, a)))), Math.LN2);
  }) as tf.Scalar;
}

/** f(x) on a number, for the fused kernels' float64 values. */
export function transformNumber(transform: LossTransform | undefined, x: number): number {
  if (!transform) return x;
  if (transform === 'log1p') return Math.log1p(x);
  const a = Math.abs(x);
  return a + Math.log1p(Math.exp(-2 * a)) - Math.LN2;
}
