/**
 * The comparison report: one self-contained HTML file (inline SVG charts, PNG overlays as data URIs,
 * no scripts, no remote resources) that opens in any browser.
 */
import * as fs from 'fs';
import * as path from 'path';
import { decodePng, encodePng8 } from '../data/png';
import { HEADLINE_METRICS, lowerIsBetter, metricLabel, MetricKey, METRICS } from '../common/metrics';
import { COMPARED_METRICS, ComparedRun, ComparisonSummary, formatStat } from './compare';
import { readCalibration } from './calibrationFile';
import { esc, lineChart, reliabilityChart } from './svgCharts';

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e'];

function readGray(file: string): { data: Uint8Array | Uint16Array; width: number; height: number } | null {
  if (!fs.existsSync(file)) return null;
  const img = decodePng(fs.readFileSync(file), file);
  return { data: img.data, width: img.width, height: img.height };
}

/** Error overlay: image in gray, TP green, FP red, FN blue (alpha 0.55). */
export function errorOverlay(
  image: ArrayLike<number>,
  gt: ArrayLike<number>,
  pred: ArrayLike<number>,
  width: number,
  height: number,
): Buffer {
  const rgb = new Uint8Array(width * height * 3);
  const a = 0.55;
  for (let i = 0; i < width * height; i++) {
    const g = image[i];
    const t = gt[i] > 127;
    const p = pred[i] > 127;
    const c = t && p ? [40, 200, 60] : p ? [230, 40, 40] : t ? [40, 90, 240] : null;
    for (let k = 0; k < 3; k++) rgb[3 * i + k] = c ? Math.round((1 - a) * g + a * c[k]) : g;
  }
  return encodePng8(rgb, width, height, 3);
}

const dataUri = (png: Buffer) => `data:image/png;base64,${png.toString('base64')}`;

export interface ReportInput {
  title: string;
  createdAt: string;
  configFile?: string;
  heads: string[];
  runs: ComparedRun[];
  summary: ComparisonSummary;
  notes: string[];
}

/** The report's four curve charts (loss, validation loss, Dice, pixel error), one series per run. */
function reportCharts(r: ReportInput, colourOf: (head: string) => string): string {
  const seriesFor = (pick: (e: ComparedRun['epochs'][number]) => number | undefined) =>
    r.runs
      .filter((run) => run.epochs.length > 0)
      .map((run) => ({
        label: `${run.head} seed ${run.seed}`,
        colour: colourOf(run.head),
        dashed: run.seed !== r.runs[0].seed,
        points: run.epochs.map((e) => [e.epoch, pick(e)] as [number, number]).filter(([, y]) => y !== undefined && y !== null),
      }));
  return [
    lineChart(
      'Training loss',
      seriesFor((e) => e.trainLoss),
      'loss',
    ),
    lineChart(
      'Validation loss',
      seriesFor((e) => e.val?.loss),
      'loss',
    ),
    lineChart(
      'Validation Dice (foreground)',
      seriesFor((e) => e.val?.dice),
      'Dice',
    ),
    lineChart(
      'Validation pixel error',
      seriesFor((e) => e.val?.pixelError),
      'pixel error',
    ),
  ].join('\n');
}

/** Overlay rows for the first seed's runs: input, ground truth and each run's errors on up to 4 images. */
function overlayTable(r: ReportInput, colourOf: (head: string) => string): { firstSeed: number | undefined; header: string; rows: string } {
  // Overlays: the first seed's runs, the validation images they saved.
  const firstSeed = r.runs[0]?.seed;
  const shown = r.runs.filter((x) => x.seed === firstSeed && x.runDir);
  const names = shown.length ? predictionNames(shown[0].runDir!) : [];
  const overlayRows = names
    .slice(0, 4)
    .map((name) => {
      const base = shown[0].runDir!;
      const image = readGray(path.join(base, 'predictions', `${name}_image.png`));
      const gt = readGray(path.join(base, 'predictions', `${name}_gt.png`));
      if (!image || !gt) return '';
      const gtOverlay = errorOverlay(image.data, gt.data, gt.data, image.width, image.height);
      const cells = shown.map((run) => {
        const pred = readGray(path.join(run.runDir!, 'predictions', `${name}_mask.png`));
        if (!pred) return `<td>—</td>`;
        return `<td><img src="${dataUri(errorOverlay(image.data, gt.data, pred.data, image.width, image.height))}" alt="${esc(run.head)} errors on ${esc(name)}"></td>`;
      });
      return `<tr><th>${esc(name)}</th><td><img src="${dataUri(encodePng8(Uint8Array.from(image.data), image.width, image.height))}" alt="image ${esc(name)}"></td><td><img src="${dataUri(gtOverlay)}" alt="ground truth ${esc(name)}"></td>${cells.join('')}</tr>`;
    })
    .join('');
  return { firstSeed, header: shown.map((x) => `<th style="color:${colourOf(x.head)}">${esc(x.head)}</th>`).join(''), rows: overlayRows };
}

/** Reliability diagrams of the first seed's runs side by side (calibration.json: the last validation's pixels). */
function calibrationFigures(r: ReportInput, colourOf: (head: string) => string): string {
  const firstSeed = r.runs[0]?.seed;
  return r.runs
    .filter((x) => x.seed === firstSeed && x.runDir)
    .map((run) => {
      let c;
      try {
        c = readCalibration(run.runDir!);
      } catch (err) {
        return `<p>${esc(run.head)}: ${esc((err as Error).message)}</p>`;
      }
      if (!c) return '';
      return reliabilityChart(`${run.head} (seed ${run.seed}, epoch ${c.epoch})`, colourOf(run.head), c.bars, c.ece, c.brier);
    })
    .join('\n');
}

export function comparisonReport(r: ReportInput): string {
  const colourOf = (head: string) => COLOURS[r.heads.indexOf(head) % COLOURS.length];
  const charts = reportCharts(r, colourOf);

  const oneSeed = new Set(r.runs.map((x) => x.seed)).size <= 1;
  // Every metric the summary holds (NSD, V_Rand, clDice, … where the runs tracked them); a file written before they were kept has COMPARED_METRICS.
  const metrics = (Object.keys(r.summary.perHead[r.heads[0]] ?? {}) as MetricKey[]).filter((m) => m in METRICS);
  const columns = metrics.length ? metrics : [...COMPARED_METRICS];
  const headRows = r.heads
    .map(
      (h) =>
        `<tr><th style="color:${colourOf(h)}">${esc(h)}</th>${columns.map((m) => `<td>${r.summary.perHead[h][m] ? formatStat(r.summary.perHead[h][m]) : '—'}</td>`).join('')}<td>${r.summary.perHead[h].dice.n}</td></tr>`,
    )
    .join('');
  const pairedRows = r.summary.paired
    .filter((p) => (HEADLINE_METRICS as readonly string[]).includes(p.metric) || p.metric === 'ece')
    .map(
      (p) =>
        `<tr><td>${esc(p.head)} − ${esc(p.baseline)}</td><td>${p.metric}</td><td>${formatStat({ mean: p.mean, std: p.std, n: p.differences.length }, 4)}${(p.of ?? p.differences.length) > p.differences.length ? ` (${p.differences.length} of ${p.of} seeds; the others ∞ or NaN)` : ''}</td><td>${p.differences.map((d) => d.toFixed(4)).join(', ')}</td><td>${esc(p.verdict ?? '')}</td></tr>`,
    )
    .join('');
  const runRows = r.runs
    .map(
      (run) =>
        `<tr><td>${esc(run.head)}</td><td>${run.seed}</td><td class="${run.status}">${run.status}</td><td>${run.final ? run.final.dice?.toFixed(4) : '—'}</td><td>${run.seconds !== undefined ? run.seconds.toFixed(0) + ' s' : '—'}</td><td><code>${esc(run.runId ?? '')}</code>${run.reason ? `<br><small>${esc(run.reason)}</small>` : ''}</td></tr>`,
    )
    .join('');

  const overlays = overlayTable(r, colourOf);
  const calibration = calibrationFigures(r, colourOf);

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>${esc(r.title)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#222;max-width:1200px}
h1{font-size:20px}h2{font-size:16px;margin-top:28px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right;vertical-align:top}th{text-align:left}
figure{display:inline-block;margin:6px}svg text{font-size:11px;fill:#333}svg .t{font-size:13px;font-weight:600}
img{image-rendering:pixelated;width:220px;height:auto}.failed{color:#c00}.cancelled{color:#a60}.done{color:#070}
.legend span{display:inline-block;width:12px;height:12px;margin:0 4px -2px 12px}
</style></head><body>
<h1>${esc(r.title)}</h1>
<p>${esc(r.createdAt)}${r.configFile ? ` · config <code>${esc(r.configFile)}</code>` : ''}</p>
${r.notes.map((n) => `<p>${esc(n)}</p>`).join('\n')}
<h2>Final validation metrics (${oneSeed ? 'one seed: single values, no spread, and no conclusion about the heads is possible' : 'mean ± std over seeds'}; ↑ higher is better, ↓ lower is better)</h2>
<table><tr><th>head</th>${columns.map((m) => `<th>${esc(metricLabel(m))}${lowerIsBetter(m) ? ' ↓' : ' ↑'}</th>`).join('')}<th>seeds</th></tr>${headRows}</table>
<h2>Paired differences (same seed: same data, batches and body initialisation)</h2>
<table><tr><th>pair</th><th>metric</th><th>mean ± std</th><th>per seed</th><th>verdict (paired t-test, 95 % CI)</th></tr>${pairedRows || '<tr><td colspan="5">needs two heads with finished runs</td></tr>'}</table>
<h2>Curves</h2>
${charts}
<h2>Calibration (seed ${overlays.firstSeed}): is the predicted foreground probability the observed frequency?</h2>
<p>Each validation pixel's foreground probability, in 15 equal-width bins: bars reach the fraction of those pixels that are foreground; on the dashed diagonal a head is perfectly calibrated. ECE: pixel-weighted mean gap between bar and diagonal; Brier: mean squared error of the probability (both ↓, of the pooled pixels here; the table above averages per image).</p>
${calibration || '<p>no calibration.json in these runs (trained before SegLab wrote it)</p>'}
<h2>Overlays (seed ${overlays.firstSeed})</h2>
<p class="legend">errors: <span style="background:#28c83c"></span>true positive <span style="background:#e62828"></span>false positive <span style="background:#285af0"></span>false negative</p>
<table><tr><th>image</th><th>input</th><th>ground truth</th>${overlays.header}</tr>${overlays.rows || '<tr><td colspan="3">no saved predictions</td></tr>'}</table>
<h2>Runs</h2>
<table><tr><th>head</th><th>seed</th><th>status</th><th>final Dice</th><th>time</th><th>run</th></tr>${runRows}</table>
</body></html>
`;
}

/** Names of the validation images a run saved predictions for. */
export function predictionNames(runDir: string): string[] {
  const dir = path.join(runDir, 'predictions');
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('_image.png'))
    .map((f) => f.slice(0, -'_image.png'.length))
    .sort();
}
