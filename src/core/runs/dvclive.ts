/**
 * A run folder as DVCLive 3 writes its output folder, so DVC (`dvc exp show`, `dvc plots show`,
 * `dvc metrics show`) and the DVC extension for VS Code read SegLab runs (checked against DVCLive's
 * source: `Live.log_metric`, `Metric.dump`, `make_summary`, `make_dvcyaml`, `log_params`, and its
 * documentation "How it works"):
 *   dvc.yaml                          params, metrics and plots, paths relative to the run folder
 *   params.yaml                       the resolved config as nested YAML (`log_params`), which DVC
 *                                     shows as dotted keys (model.depth, optimizer.learningRate, …)
 *   metrics.json                      the latest value of every metric, nested by "/", plus "step"
 *   plots/metrics/{train,val}/<m>.tsv `timestamp step <m>` (milliseconds since 1970, steps from 0)
 *   plots/images/<image>_prob/<step>.png  the validation probability maps of each validated epoch
 *                                     (DVC's image slider pattern `folder/<step>.png`)
 * A DVCLive step counts from 0: epoch e is step e − 1. Non-finite values are written as DVCLive
 * writes them (it logs str(val)): `inf`, `-inf`, `nan` in the TSVs and as strings in metrics.json.
 */

/** The DVCLive step of 1-based epoch `epoch`. */
export function dvcStep(epoch: number): number {
  return epoch - 1;
}

/** A number as DVCLive writes a logged value (`str(val)` for ∞ and NaN, as pandas and DVC read back). */
export function dvcNumber(v: number): string {
  return Number.isNaN(v) ? 'nan' : v === Infinity ? 'inf' : v === -Infinity ? '-inf' : String(v);
}

/** One metric's history file. */
export function metricTsv(name: string, rows: { timestamp: number; step: number; value: number }[]): string {
  return `timestamp\tstep\t${name}\n${rows.map((r) => `${Math.round(r.timestamp)}\t${r.step}\t${dvcNumber(r.value)}`).join('\n')}\n`;
}

/** metrics.json: `{"train": {"loss": …}, "val": {"dice": …}, "step": n}`; ∞/NaN as DVCLive's strings. */
export function metricsSummary(latest: Record<string, Record<string, number>>, step: number): string {
  const out: Record<string, unknown> = {};
  for (const [split, values] of Object.entries(latest)) {
    out[split] = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, Number.isFinite(v) ? v : dvcNumber(v)]));
  }
  out.step = step;
  return JSON.stringify(out, null, 4) + '\n';
}

/** dvc.yaml for a run folder (paths relative to it, as make_dvcyaml writes them). */
export function dvcYaml(withImages: boolean): string {
  const plots = ['  - plots/metrics:', '      x: step'];
  if (withImages) plots.push('  - plots/images');
  return ['params:', '  - params.yaml', 'metrics:', '  - metrics.json', 'plots:', ...plots, ''].join('\n');
}

/**
 * Block-style YAML of a JSON value. Strings are written double-quoted with JSON escapes (valid YAML
 * 1.2 double-quoted scalars), so no string can turn into a number, a boolean or a null; keys likewise
 * when they are not plain identifiers. Non-finite numbers become .inf / -.inf / .nan, and an exponent
 * gets a decimal point (1.0e-7, not 1e-7): YAML 1.1 readers such as PyYAML read 1e-7 as a string.
 */
export function toYaml(value: unknown, indent = 0): string {
  const pad = ' '.repeat(indent);
  const scalar = (v: unknown): string => {
    if (v === null || v === undefined) return 'null';
    if (typeof v === 'number') {
      if (Number.isNaN(v)) return '.nan';
      if (!Number.isFinite(v)) return v > 0 ? '.inf' : '-.inf';
      const text = String(v);
      return /e/.test(text) && !/\./.test(text) ? text.replace('e', '.0e') : text;
    }
    if (typeof v === 'boolean') return String(v);
    return yamlString(String(v));
  };
  const keyText = (k: string) =>
    /^[A-Za-z_][A-Za-z0-9_.-]*$/.test(k) && !/^(true|false|null|yes|no|on|off|y|n|~)$/i.test(k) ? k : yamlString(k);
  const isBlock = (v: unknown) => typeof v === 'object' && v !== null && (Array.isArray(v) ? v.length > 0 : Object.keys(v).length > 0);
  if (Array.isArray(value)) {
    if (value.length === 0) return `${pad}[]\n`;
    return value.map((v) => (isBlock(v) ? `${pad}-\n${toYaml(v, indent + 2)}` : `${pad}- ${emptyOrScalar(v, scalar)}\n`)).join('');
  }
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return `${pad}{}\n`;
    return entries
      .map(([k, v]) =>
        isBlock(v) ? `${pad}${keyText(k)}:\n${toYaml(v, indent + 2)}` : `${pad}${keyText(k)}: ${emptyOrScalar(v, scalar)}\n`,
      )
      .join('');
  }
  return `${pad}${scalar(value)}\n`;
}

/**
 * A double-quoted YAML scalar: JSON's escapes, plus \u escapes for what JSON leaves as is but YAML does
 * not allow unescaped (DEL and the C1 controls U+007F–U+009F, U+FFFE, U+FFFF) or reads as a line
 * break (NEL U+0085, U+2028, U+2029 in YAML 1.1 readers such as PyYAML).
 */
function yamlString(s: string): string {
  return JSON.stringify(s).replace(
    /[\u007f-\u009f\u2028\u2029\ufffe\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function emptyOrScalar(v: unknown, scalar: (v: unknown) => string): string {
  if (Array.isArray(v)) return '[]';
  if (typeof v === 'object' && v !== null) return '{}';
  return scalar(v);
}
