/**
 * The sweep report: one self-contained HTML file (inline SVG, no scripts, no remote resources) with
 * the results table, the paired verdicts, a chart of each swept key against the primary metric and
 * the mean validation curves of every cell.
 */
import * as path from 'path';
import { lowerIsBetter, metricLabel, METRICS, MetricKey } from '../common/metrics';
import { formatStat, shownMetrics } from './compare';
import { categoryChart, esc, lineChart, seriesAlongKey } from './svgCharts';
import { readEpochs } from './store';
import { rankCells, zipped } from './sweep';
import type { CellStat, SweepFile, SweepSearch } from './sweep';

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf'];
const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

/** "0.812 ± 0.004 [0.802, 0.822]": the interval when there is one; "[0.630, 1.000✂]" where it was cut at the metric's range. */
export function formatCellStat(s: CellStat | undefined, digits: number): string {
  if (!s) return '—';
  const text = formatStat(s, digits);
  if (!(s.ci95 && s.n > 1)) return text;
  return `${text} [${s.ci95[0].toFixed(digits)}, ${s.ci95[1].toFixed(digits)}]${s.ci95Clipped ? '✂' : ''}`;
}

/** One chart per swept key: its values on x, the primary metric's mean and 95 % interval on y, a series per setting of the other keys. */
export function paramCharts(sweep: Pick<SweepFile, 'axes' | 'cells' | 'primaryMetric'>): string[] {
  const metric = sweep.primaryMetric;
  const keys = sweep.axes.map((a) => a.key);
  return sweep.axes.map((axis) => {
    const series = seriesAlongKey(
      sweep.cells,
      keys,
      axis.key,
      axis.values.map(show),
      (c, k) => show(c.params[k]),
      (c) => {
        const s = c.metrics[metric];
        return s && s.n > 0 ? { mean: s.mean, low: s.ci95?.[0], high: s.ci95?.[1] } : undefined;
      },
      COLOURS,
    );
    return categoryChart(
      `${metricLabel(metric)} by ${axis.key} (mean, 95 % t interval)`,
      axis.values.map(show),
      series,
      metricLabel(metric),
    );
  });
}

/** Mean validation curve of each cell over its finished seeds (epochs all of them reached). */
function meanCurves(
  sweep: SweepFile,
  pick: (v: Record<string, number>) => number | undefined,
): { label: string; colour: string; dashed: boolean; points: [number, number][] }[] {
  return sweep.cells.map((cell, k) => {
    const runs = sweep.runs.filter((r) => r.cell === cell.id && r.status === 'done' && r.runDir);
    const curves = runs.map((r) => {
      try {
        return readEpochs(r.runDir!);
      } catch {
        return [];
      }
    });
    const byEpoch = new Map<number, number[]>();
    for (const epochs of curves) {
      for (const e of epochs) {
        const v = e.val ? pick(e.val as Record<string, number>) : undefined;
        if (typeof v === 'number' && Number.isFinite(v)) byEpoch.set(e.epoch, [...(byEpoch.get(e.epoch) ?? []), v]);
      }
    }
    const points = [...byEpoch.entries()]
      .filter(([, vs]) => vs.length === curves.length)
      .sort((a, b) => a[0] - b[0])
      .map(([e, vs]) => [e, vs.reduce((a, b) => a + b, 0) / vs.length] as [number, number]);
    return { label: cell.label, colour: COLOURS[k % COLOURS.length], dashed: k >= COLOURS.length, points };
  });
}

export function sweepReport(sweep: SweepFile): string {
  const metric = sweep.primaryMetric;
  const shown: MetricKey[] = [...shownMetrics(sweep.cells), 'loss'];
  const ranked = rankCells(sweep.cells, metric);
  const rows = ranked
    .map(
      (c) =>
        `<tr${c.id === sweep.best ? ' class="best"' : ''}>${sweep.axes.map((a) => `<th>${esc(show(c.params[a.key]))}</th>`).join('')}${sweep.tuning ? `<td>${c.tuned ? esc(settingText(c.tuned)) : '—'}</td>` : ''}<td>${c.n} of ${sweep.seeds.length}</td>${shown
          .map((m) => `<td>${esc(formatCellStat(c.metrics[m], METRICS[m].digits))}</td>`)
          .join('')}</tr>`,
    )
    .join('');
  const oneSeed = sweep.seeds.length < 2;
  const verdicts = (filter: (axis: string) => boolean) =>
    sweep.comparisons
      .filter((c) => filter(c.axis) && (c.axis === 'best' || c.metric === metric))
      .map((c) => `<li>${esc(c.verdict)}${c.seeds.length ? ` <small>(seeds ${c.seeds.join(', ')})</small>` : ''}</li>`)
      .join('');
  const axisVerdicts = sweep.axes
    .filter((a) => a.values.length > 1)
    .map(
      (a) =>
        `<h3>Along ${esc(a.key)} (each against ${esc(show(a.values[0]))}, other keys equal)</h3><ul>${verdicts((x) => x === a.key) || '<li>no pair with finished runs</li>'}</ul>`,
    )
    .join('');
  const tuningRuns = new Set(sweep.tuning?.runs ?? []);
  const runRows = [...(sweep.tuning?.runs ?? []), ...sweep.runs]
    .map((r) => {
      const cell = sweep.cells.find((c) => c.id === r.cell);
      return `<tr>${sweep.tuning ? `<td>${tuningRuns.has(r) ? 'tuning' : 'compared'}</td>` : ''}<td>${esc(cell?.label ?? r.cell)}</td><td>${r.seed}</td><td class="${r.status}">${r.status}</td><td>${r.final && typeof r.final[metric] === 'number' ? r.final[metric].toFixed(4) : '—'}</td><td>${r.seconds !== undefined ? r.seconds.toFixed(0) + ' s' : '—'}</td><td><code>${esc(r.runId ?? '')}</code>${r.reason ? `<br><small>${esc(r.reason)}</small>` : ''}</td></tr>`;
    })
    .join('');
  const p = sweep.progress;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>SegLab sweep: ${esc(sweep.name)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#222;max-width:1200px}
h1{font-size:20px}h2{font-size:16px;margin-top:28px}h3{font-size:14px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right;vertical-align:top}th{text-align:left}
tr.best{background:#eef8ee}figure{display:inline-block;margin:6px}svg text{font-size:11px;fill:#333}svg .t{font-size:13px;font-weight:600}
.failed{color:#c00}.cancelled{color:#a60}.done{color:#070}.pruned{color:#666}li{margin:2px 0}
</style></head><body>
<h1>SegLab sweep: ${esc(sweep.name)}</h1>
<p>${esc(sweep.createdAt)} · status <b class="${sweep.status}">${esc(sweep.status)}</b>${sweep.reason ? ` (${esc(sweep.reason)})` : ''} · ${p.done} of ${p.total} runs done${p.failed ? `, ${p.failed} failed` : ''}${p.pruned ? `, ${p.pruned} pruned` : ''}${p.cancelled ? `, ${p.cancelled} cancelled` : ''}${sweep.configFile ? ` · config <code>${esc(path.basename(sweep.configFile))}</code>` : ''}</p>
${sweep.tuning ? tuningSection(sweep) : ''}${sweep.prune ? `<p>${esc(pruneText(sweep))}</p>` : ''}
<p>${sweep.tuning ? 'Compared: ' : ''}${sweep.search && zipped(sweep.search) && !sweep.tuning ? `Search: ${esc(searchText(sweep.search))}` : `Grid: ${sweep.axes.map((a) => `<code>${esc(a.key)}</code> ∈ {${a.values.map((v) => esc(show(v))).join(', ')}}`).join(' × ') || 'the base config'}`} × seeds ${sweep.seeds.join(', ')}. Runs with the same seed share the data split, the batches and the initial body weights, so cells are compared seed by seed.</p>
<h2>Results (final validation; mean ± std over seeds [95 % t interval of the mean]; ↑ higher, ↓ lower is better; sorted by ${esc(metricLabel(metric))})</h2>
${oneSeed ? '<p><b>One seed:</b> single values, no spread; no conclusion about any difference is possible.</p>' : ''}
<table><tr>${sweep.axes.map((a) => `<th>${esc(a.key)}</th>`).join('')}${sweep.tuning ? '<th>compared at</th>' : ''}<th>seeds</th>${shown.map((m) => `<th>${esc(metricLabel(m))} ${lowerIsBetter(m) ? '↓' : '↑'}</th>`).join('')}</tr>${rows}</table>
<h2>Paired comparisons (${esc(metricLabel(metric))}; paired t-test over shared seeds, 95 % t interval cut at the metric's range; verdicts on Holm-adjusted p over these comparisons)</h2>
${axisVerdicts}
<h3>Best cell against each other cell</h3><ul>${verdicts((x) => x === 'best') || '<li>no finished cells</li>'}</ul>
<h2>${esc(metricLabel(metric))} by swept key</h2>
${paramCharts(sweep).join('\n')}
<h2>Mean validation curves per cell</h2>
${lineChart(
  `Validation ${metricLabel(metric)}`,
  meanCurves(sweep, (v) => v[metric]),
  metricLabel(metric),
)}
${lineChart(
  'Validation loss',
  meanCurves(sweep, (v) => v.loss),
  'loss',
)}
<h2>Runs</h2>
<table><tr>${sweep.tuning ? '<th>phase</th>' : ''}<th>cell</th><th>seed</th><th>status</th><th>final ${esc(metricLabel(metric))}</th><th>time</th><th>run</th></tr>${runRows}</table>
</body></html>
`;
}

/** `optimizer.learningRate=0.002, loss.options.gamma=2`. */
export const settingText = (params: Record<string, unknown>): string =>
  Object.entries(params)
    .map(([k, v]) => `${k}=${show(v)}`)
    .join(', ');

/** The ASHA rule as run: rungs, η and the value compared. */
export function pruneText(sweep: Pick<SweepFile, 'prune' | 'tuning'>): string {
  const p = sweep.prune!;
  return (
    `Early stopping: ASHA (asynchronous successive halving) at epoch${p.rungs.length > 1 ? 's' : ''} ${p.rungs.join(', ')}; ` +
    `at each a run went on only if its ` +
    `validation ${metricLabel(p.metric)} was in the top 1/${p.eta} of the runs that had reached that epoch before it ` +
    `(${sweep.tuning ? 'tuning runs of the same cell' : 'all runs of the sweep'}), else it stopped as pruned.`
  );
}

/** A tuned sweep's first phase: the trials every cell tried, the budget each spent and the setting chosen. */
function tuningSection(sweep: SweepFile): string {
  const t = sweep.tuning!;
  const rows = t.cells
    .map(
      (c) =>
        `<tr><th>${esc(c.label)}</th><td>${c.runs}</td><td>${c.done}</td><td>${c.pruned}</td><td>${c.failed}</td><td>${c.epochs}</td><td>${c.chosen ? esc(settingText(c.chosen.params)) : '—'}</td><td>${c.chosen ? c.chosen.value.toFixed(4) : '—'}</td></tr>`,
    )
    .join('');
  const search = sweep.search ? searchText(sweep.search) : `${t.trials.length} settings`;
  return `<h2>Tuning (phase 1)</h2>
<p>Tuned <code>${esc(t.keys.join(', '))}</code> separately for each cell of <code>${esc(t.per.join(', '))}</code>: every cell tried the same ${t.trials.length} trial(s) (${esc(search)}) with tuning seed(s) ${t.seeds.join(', ')}, and was compared at the trial with the best mean final validation ${esc(metricLabel(t.metric))} of its finished tuning runs, on fresh seeds ${sweep.seeds.join(', ')} that no tuning run used. Equal budgets: the same trials and epochs per cell; pruning spends fewer epochs where a cell's trials fall behind.</p>
<table><tr><th>cell</th><th>tuning runs</th><th>done</th><th>pruned</th><th>failed</th><th>epochs trained</th><th>chosen</th><th>${esc(metricLabel(t.metric))} at it</th></tr>${rows}</table>`;
}

/** "sobol, 8 trials of optimizer.learningRate=log:1e-4..1e-2, loss=bce,dice (seed 1)". */
export function searchText(search: SweepSearch): string {
  return `${search.method}, ${search.trials} trials of ${search.spaces.join('; ')}${search.method === 'random' ? ` (seed ${search.seed})` : ''}`;
}
