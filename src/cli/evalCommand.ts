/** `seglab eval`: metrics of a folder (or TIFF stack) of predicted masks / probability maps against ground truth. */
import { MetricKey, metricLabel } from '../core/common/metrics';
import { EMPTY_CONVENTIONS } from '../core/metrics/scores';
import { MEAN_KEYS } from '../core/metrics/evaluate';
import { evaluateFolders, FolderEvaluation } from '../core/metrics/evaluateFolders';
import { encodeJson } from '../core/common/json';
import { loadConfig } from '../core/config/config';
import { writeFileAtomic } from '../core/runs/atomicWrite';
import { choiceValue, numberValue, parseCommand, requireValue, UsageError } from './args';
import { csv, formatNumber, table } from './format';

export const EVAL_USAGE = `usage: seglab eval --pred DIR|STACK.tif --gt DIR|STACK.tif [--threshold T] [--from-logits]
                   [--foreground V] [--classes K|NAME,NAME,…] [--config EXPERIMENT.json]
                   [--channels-first | --channels-last] [--empty one|zero|nan]
                   [--hd-mode directed|pooled] [--hd-percentile Q] [--nsd-tolerance TAU]
                   [--json OUT.json] [--csv OUT.csv] [--quiet]
  Pairs files by name without extension (PNG 8/16-bit, TIFF or .npy); seglab predict's <name>_prob.png
  (else <name>_mask.png) pairs with <name>. Two multi-page TIFF stacks pair page by page.
  .npy/.npz predictions (float16/32/64, integers, bool) may be [H,W], [1,H,W], [C,H,W] or [1,C,H,W]
  (PyTorch) or channels last; 2 channels are a softmax head's (background, foreground). Where the
  shape does not say, --channels-first or --channels-last does.
  --classes: multi-class evaluation; ground truth holds class indices 0…K−1 (0 = background) and a
  prediction is a label map or K channels (argmax). Per class and the mean over the foreground classes.
  --config: take the classes (dataset.classes, dataset.classNames) and the binary foreground value
  (dataset.foreground) from an experiment config; --classes and --foreground override it. Predictions are thresholded at T
  (default 0.5, foreground where p >= T); --from-logits thresholds at 0. Ground truth must be binary;
  --foreground V says which value is foreground (e.g. 0 for the ISBI membranes).
  NSD: the share of both boundaries within TAU pixels of the other (default 1; MONAI compute_surface_dice);
  ASSD: the mean distance between the boundaries, both ways. V_Rand, V_Info: ISBI 2012's scores of the
  regions the foreground separates (the foreground a boundary map, as the ISBI membranes). clDice: the
  share of each skeleton inside the other mask (Shit et al. 2021). Betti-0/1 errors: components and holes
  the prediction gains or loses.`;

/**
 * The per-image metrics, in the order the core averages them (MEAN_KEYS): the table's columns (by
 * their labels) and CSV/JSON's (by their keys).
 */
const COLUMNS = MEAN_KEYS satisfies readonly MetricKey[];
const LABELS = COLUMNS.map(metricLabel);

export async function evalCommand(argv: string[], write: (s: string) => void): Promise<number> {
  const { values } = parseCommand(
    argv,
    {
      pred: { type: 'string' },
      gt: { type: 'string' },
      threshold: { type: 'string' },
      'from-logits': { type: 'boolean' },
      'channels-first': { type: 'boolean' },
      'channels-last': { type: 'boolean' },
      classes: { type: 'string' },
      config: { type: 'string' },
      foreground: { type: 'string' },
      empty: { type: 'string' },
      'hd-mode': { type: 'string' },
      'hd-percentile': { type: 'string' },
      'nsd-tolerance': { type: 'string' },
      json: { type: 'string' },
      csv: { type: 'string' },
      quiet: { type: 'boolean' },
    },
    EVAL_USAGE,
  );
  const predDir = requireValue(values.pred, 'pred', EVAL_USAGE);
  const gtDir = requireValue(values.gt, 'gt', EVAL_USAGE);
  if (values['channels-first'] && values['channels-last']) throw new UsageError('give --channels-first or --channels-last, not both');
  const layout = values['channels-first'] ? 'first' : values['channels-last'] ? 'last' : undefined;
  const fromConfig = values.config ? datasetFacts(values.config) : {};
  const result = evaluateFolders(predDir, gtDir, {
    threshold: numberValue(values.threshold, 'threshold'),
    fromLogits: Boolean(values['from-logits']),
    foreground: numberValue(values.foreground, 'foreground') ?? fromConfig.foreground,
    layout,
    classes: classNames(values.classes) ?? fromConfig.classes,
    empty: choiceValue(values.empty, 'empty', EMPTY_CONVENTIONS),
    hdMode: choiceValue(values['hd-mode'], 'hd-mode', ['directed', 'pooled'] as const),
    hdPercentile: numberValue(values['hd-percentile'], 'hd-percentile'),
    nsdTolerance: numberValue(values['nsd-tolerance'], 'nsd-tolerance'),
  });
  // Outputs are written only after every image was evaluated, each atomically.
  if (values.json) writeFileAtomic(values.json, encodeJson(result) + '\n');
  if (values.csv) writeFileAtomic(values.csv, toCsv(result));
  for (const w of result.warnings ?? []) process.stderr.write(`warning: ${w}\n`);
  if (!values.quiet) write(report(result));
  if (values.json) write(`wrote ${values.json}\n`);
  if (values.csv) write(`wrote ${values.csv}\n`);
  return 0;
}

/** The class names (multi-class) or the foreground value (binary) an experiment config gives its data. */
export function datasetFacts(file: string): { classes?: string[]; foreground?: number } {
  const d = loadConfig(file).dataset;
  if (d.classes > 2) return { classes: d.classNames ?? classNames(String(d.classes)) };
  return { foreground: d.foreground };
}

/** `--classes 3` → class0…class2 (class0 = background); `--classes bg,membrane,cell` → those names. */
export function classNames(text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  if (/^\d+$/.test(text.trim())) {
    const k = Number(text);
    if (k < 2 || k > 255) throw new UsageError(`--classes: ${k} is not a class count in 2…255`);
    return Array.from({ length: k }, (_, c) => (c === 0 ? 'background' : `class${c}`));
  }
  const names = text.split(',').map((n) => n.trim());
  if (names.length < 2 || names.some((n) => n === '')) throw new UsageError(`--classes: '${text}' is not a count or a list of 2+ names`);
  if (new Set(names).size !== names.length) throw new UsageError(`--classes: '${text}' names a class twice`);
  return names;
}

/** Boundary and region metrics are per image only: pooled confusion counts have no boundary. */
const PER_IMAGE_ONLY = new Set<string>(['hd', 'hd95', 'nsd', 'assd', 'vRand', 'vInfo', 'clDice', 'betti0Error', 'betti1Error']);

const pooled = (p: FolderEvaluation['aggregate']['pooled'], k: (typeof COLUMNS)[number]) =>
  PER_IMAGE_ONLY.has(k) ? '' : p[k as keyof typeof p];

function toCsv(r: FolderEvaluation): string {
  const header = ['image', ...COLUMNS, 'tp', 'fp', 'fn', 'tn'];
  const rows = r.images.map((m) => [m.name, ...COLUMNS.map((k) => m[k]), m.tp, m.fp, m.fn, m.tn]);
  rows.push(['mean', ...COLUMNS.map((k) => r.aggregate.mean[k]), '', '', '', '']);
  const p = r.aggregate.pooled;
  rows.push(['pooled', ...COLUMNS.map((k) => pooled(p, k)), p.tp, p.fp, p.fn, p.tn]);
  for (const c of r.perClass ?? []) rows.push([`class ${c.name} (mean)`, ...COLUMNS.map((k) => c.mean[k]), '', '', '', '']);
  return csv(header, rows);
}

function report(r: FolderEvaluation): string {
  const rows = r.images.map((m) => [m.name, ...COLUMNS.map((k) => m[k])]);
  const a = r.aggregate;
  const lines = [
    `${r.images.length} image pair(s): ${r.predDir} vs ${r.gtDir}`,
    table(['image', ...LABELS], rows),
    '',
    table(
      ['aggregate', ...LABELS],
      [
        ['mean', ...COLUMNS.map((k) => a.mean[k])],
        ['pooled', ...COLUMNS.map((k) => pooled(a.pooled, k))],
      ],
    ),
  ];
  if (r.perClass) {
    lines.push(
      '',
      table(
        ['class (mean over images)', ...LABELS],
        r.perClass.map((c) => [c.name, ...COLUMNS.map((k) => c.mean[k])]),
      ),
      `image rows and "mean" average the foreground classes (${r.perClass
        .slice(1)
        .map((c) => c.name)
        .join(', ')})`,
    );
  }
  const skipped = Object.entries(a.skipped).map(([k, n]) => `${k}: ${n}`);
  if (skipped.length) lines.push(`NaN values skipped in the means (${skipped.join(', ')})`);
  const worst = [...r.images].sort((x, y) => x.dice - y.dice)[0];
  if (worst && r.images.length > 1) lines.push(`lowest Dice: ${worst.name} (${formatNumber(worst.dice)})`);
  return lines.join('\n') + '\n';
}
