/**
 * The grammar of one term of a loss expression ("bce", "0.5*dice", "monai:TverskyLoss"), shared by the
 * registry (which compiles expressions) and the smp/MONAI aliases (which rewrite them first).
 */
const TERM = /^\s*(([0-9]*\.?[0-9]+(?:e[-+]?[0-9]+)?)\s*\*\s*)?((?:monai:|smp:)?[A-Za-z][A-Za-z0-9]*)\s*$/;

/** One term of a loss expression ("0.5 * bce"): the weight prefix as written, the weight, the name. */
export interface LossTerm {
  prefix: string;
  weight: number;
  name: string;
}

/** Reads one '+'-separated term of a loss expression; null when it is not "[number *] name". */
export function parseLossTerm(part: string): LossTerm | null {
  const m = TERM.exec(part);
  return m ? { prefix: m[1] ?? '', weight: m[2] === undefined ? 1 : Number(m[2]), name: m[3] } : null;
}
