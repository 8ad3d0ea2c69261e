/**
 * Loss term weights that follow a linear ramp over epochs (Kervadec et al. 2019 start the boundary
 * term near 0 and raise it while the region term's weight falls). A ramp on a term of the config's loss
 * expression, by the name written there:
 *   w(e) = from + (to − from)·clamp((e − start)/(end − start), 0, 1)      (start = end: a step at start)
 * The ramped expression is written for each epoch before the head's mapping, so "bce" ramps its
 * cross-entropy counterpart on a softmax head too.
 */
import { formatLossTerm, parseLossTerm } from '../losses/expression';

export interface LossRamp {
  from: number;
  to: number;
  /** First and last epoch of the ramp (1-based): the weight is `from` up to the first, `to` from the last. */
  epochs: [number, number];
}

export function rampValue(r: LossRamp, epoch: number): number {
  const [start, end] = r.epochs;
  if (end === start) return epoch >= start ? r.to : r.from;
  const t = Math.min(1, Math.max(0, (epoch - start) / (end - start)));
  return r.from + (r.to - r.from) * t;
}

/** Problems of ramps against the expression they weigh: unknown terms, written weights, bad epochs. */
export function rampProblems(expression: string, ramps: Record<string, LossRamp>): string[] {
  const terms = expression.split('+').map((t) => parseLossTerm(t));
  const problems: string[] = [];
  for (const [name, r] of Object.entries(ramps)) {
    const matching = terms.filter((t) => t?.name === name);
    if (matching.length !== 1) {
      problems.push(`ramps.${name}: the loss '${expression}' has ${matching.length === 0 ? 'no' : 'more than one'} term '${name}'`);
    } else if (matching[0]!.prefix) {
      problems.push(`ramps.${name}: the term is written with a weight (${matching[0]!.prefix.trim()}); the ramp gives its weight`);
    }
    if (!(r.epochs[0] >= 1 && r.epochs[1] >= r.epochs[0])) problems.push(`ramps.${name}.epochs: [start, end] with 1 ≤ start ≤ end`);
  }
  return problems;
}

/** The expression with each ramped term's weight at `epoch` written in front of it. */
export function rampedExpression(expression: string, ramps: Record<string, LossRamp>, epoch: number): string {
  return expression
    .split('+')
    .map((part) => {
      const t = parseLossTerm(part);
      if (!t || !Object.hasOwn(ramps, t.name)) return part.trim();
      return formatLossTerm(t.name, t.transform, `${rampValue(ramps[t.name], epoch)}*`);
    })
    .join('+');
}

/** The ramped terms' weights at `epoch`, by name (what metrics.jsonl records). */
export function rampWeights(ramps: Record<string, LossRamp>, epoch: number): Record<string, number> {
  return Object.fromEntries(Object.entries(ramps).map(([name, r]) => [name, rampValue(r, epoch)]));
}
