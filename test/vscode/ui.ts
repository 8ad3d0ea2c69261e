/**
 * UI test in the real workbench: opens a workspace with a finished comparison, runs
 * "SegLab: Open Dashboard" from the command palette, waits for the webview, checks that the loss
 * curves and a mask overlay are drawn (by reading canvas pixels) and saves screenshots under
 * test-output/vscode/.
 */
import * as assert from 'assert';
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Frame, Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { decodeJson } from '../../src/core/common/json';
import { readJsonFile } from '../../src/core/runs/store';
import { remote, ROOT, startWorkbench } from './codeServer';

const OUT = path.join(ROOT, 'test-output', 'vscode');

interface Prepared {
  ws: string;
  /** Per run, by the dashboard's label (head · name): train loss per epoch and the run folder. */
  runs: Map<string, { trainLoss: number[]; dir: string }>;
}

/** The runs of the comparison, read from their files (summary.json, metrics.jsonl). */
function comparisonRuns(comparisonDir: string): Prepared['runs'] {
  const comparison = readJsonFile<{ runs: { runDir?: string }[] }>(path.join(comparisonDir, 'comparison.json'));
  const runs: Prepared['runs'] = new Map();
  for (const { runDir } of comparison.runs) {
    if (!runDir) continue;
    const summary = readJsonFile<{ head: string; name: string }>(path.join(runDir, 'summary.json'));
    const lines = fs.readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n');
    const trainLoss = lines.map((l) => (decodeJson(l) as { trainLoss: number }).trainLoss);
    runs.set(`${summary.head} · ${summary.name}`, { trainLoss, dir: runDir });
  }
  return runs;
}

/** TP, FP and FN of a run's saved probability map (≥ 0.5) against its saved ground truth, decoded with pngjs. */
function confusionFromFiles(runDir: string, image: string): { tp: number; fp: number; fn: number } {
  const read = (kind: string) =>
    PNG.sync.read(fs.readFileSync(path.join(runDir, 'predictions', `${image}_${kind}.png`)), { skipRescale: true });
  const [prob, gt] = [read('prob'), read('gt')];
  const max = 2 ** prob.depth - 1;
  let [tp, fp, fn] = [0, 0, 0];
  for (let i = 0; i < prob.width * prob.height; i++) {
    // pngjs expands gray to RGBA: the red channel holds the gray value.
    const p = prob.data[4 * i] / max >= 0.5;
    const t = gt.data[4 * i] > 0;
    if (t && p) tp++;
    else if (p) fp++;
    else if (t) fn++;
  }
  return { tp, fp, fn };
}

/** Mean BCE of a run's saved prediction of `image` (PyTorch BCELoss: log clamped at −100), from the PNGs. */
function bceFromFiles(runDir: string, image: string): number {
  const read = (kind: string) =>
    PNG.sync.read(fs.readFileSync(path.join(runDir, 'predictions', `${image}_${kind}.png`)), { skipRescale: true });
  const [prob, gt] = [read('prob'), read('gt')];
  const max = 2 ** prob.depth - 1;
  let sum = 0;
  for (let i = 0; i < prob.width * prob.height; i++) {
    const p = prob.data[4 * i] / max;
    sum -= Math.max(-100, Math.log(gt.data[4 * i] > 0 ? p : 1 - p));
  }
  return sum / (prob.width * prob.height);
}

/**
 * The loss map of the overlay shown: `bce` per pixel (its stated value against the files' mean BCE),
 * then dL/dp (blue and red pixels), and the errors-by-distance table (its FP and FN add up to the
 * overlay's counts at the threshold).
 */
async function lossMapSteps(page: Page, frame: Frame, runDir: string, image: string, counts: { fp: number; fn: number }): Promise<string> {
  await frame.click('text=loss per pixel');
  await frame.fill('input[aria-label="loss expression"]', 'bce');
  await frame.click('button:has-text("Compute")');
  await frame.waitForFunction(() => /: bce = [0-9.]+/.test(document.querySelector('.stats')?.textContent ?? ''), undefined, {
    timeout: 60000,
  });
  const stats = (await frame.textContent('.stats')) ?? '';
  const stated = Number(/: bce = ([0-9.]+)/.exec(stats)![1]);
  const expected = bceFromFiles(runDir, image);
  assert.ok(Math.abs(stated - expected) < 1e-4 + 1e-4 * expected, `loss map bce ${stated} vs ${expected} from the files (${stats})`);
  const heat = await canvasStats(frame, '.canvases canvas');
  assert.ok(heat.nonBlank > 100, 'the loss map is drawn');
  await page.screenshot({ path: path.join(OUT, 'dashboard-loss-map.png') });
  await frame.click('text=dL/dp');
  await frame.waitForFunction(() => /dL\/dp\| scale/.test(document.querySelector('.stats')?.textContent ?? ''), undefined, {
    timeout: 30000,
  });
  assert.match((await frame.textContent('.legend')) ?? '', /dL\/dp < 0 \(raises p\)/, 'the legend explains the colours');
  const grad = await canvasStats(frame, '.canvases canvas');
  assert.ok(grad.red + grad.blue > 20, `dL/dp is drawn in red and blue (red ${grad.red}, blue ${grad.blue})`);
  await page.screenshot({ path: path.join(OUT, 'dashboard-loss-gradient.png') });
  const rows = await frame.$$eval('table.distance-table tbody tr', (trs) =>
    trs.map((tr) => Array.from(tr.children).map((c) => c.textContent ?? '')),
  );
  assert.strictEqual(rows.length, 6, 'six distance bins');
  const firstLayer = rows.map((r) => /^(\d+) \/ (\d+)/.exec(r[2])!.slice(1).map(Number));
  assert.deepStrictEqual(
    [firstLayer.reduce((a, r) => a + r[0], 0), firstLayer.reduce((a, r) => a + r[1], 0)],
    [counts.fp, counts.fn],
    'the bins hold every FP and FN of the overlay',
  );
  return `loss map bce ${stated.toFixed(4)}, dL/dp red/blue ${grad.red}/${grad.blue}`;
}

/** The UI test's experiments: 12 shapes of 32², a depth-2 U-Net of 4 filters, 3 steps of 4, wasm; `over` names the rest. */
function smallShapesConfig({ name, ...over }: Record<string, unknown> & { name: string }): Record<string, unknown> {
  return {
    name,
    dataset: { builtin: 'shapes', count: 12, size: 32 },
    model: { depth: 2, baseFilters: 4 },
    batchSize: 4,
    stepsPerEpoch: 3,
    backend: 'wasm',
    ...over,
  };
}

function prepareWorkspace(): Prepared {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'seglab-ui-'));
  fs.writeFileSync(
    path.join(ws, 'tiny.experiment.json'),
    JSON.stringify(smallShapesConfig({ name: 'tiny', epochs: 4, predictions: 2 }), null, 2),
  );
  const r = spawnSync(process.execPath, [path.join(ROOT, 'dist', 'cli.js'), 'compare', 'tiny.experiment.json', '--json'], {
    cwd: ws,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`preparing the UI workspace failed: ${r.stderr}`);
  const result = decodeJson(r.stdout.trim().split('\n').pop()!) as { dir: string };
  return { ws, runs: comparisonRuns(result.dir) };
}

/** The dashboard's content frame: two iframes deep (iframe.webview → #active-frame), holding #app. */
async function webviewFrame(page: Page, attempts = 120): Promise<Frame | null> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    for (const outer of await page.$$('iframe.webview.ready')) {
      try {
        const outerFrame = await outer.contentFrame();
        const inner = outerFrame && (await outerFrame.$('#active-frame'));
        const frame = inner && (await inner.contentFrame());
        if (frame && (await frame.$('#app'))) return frame;
      } catch {
        // The webview replaced its frame while we looked (it loads in steps): look again.
      }
    }
    await page.waitForTimeout(500);
  }
  return null;
}

/** Runs a command from the palette (F1, type its title, Enter). */
async function runFromPalette(page: Page, title: string): Promise<void> {
  await page.keyboard.press('F1');
  const input = await page.waitForSelector('.quick-input-widget input', { timeout: 20000 });
  await input.type(title);
  await page.waitForTimeout(800);
  await page.keyboard.press('Enter');
}

/**
 * Opens the dashboard from the palette. The extension activates on the workspace's config, which can
 * take longer than the workbench on a busy machine: a command typed before it registered does nothing,
 * so the palette is tried again (3 tries, 20 s each).
 */
async function openDashboard(page: Page): Promise<Frame> {
  for (let attempt = 1; attempt <= 3; attempt++) {
    await runFromPalette(page, 'SegLab: Open Dashboard');
    const frame = await webviewFrame(page, 40);
    if (frame) return frame;
    await page.keyboard.press('Escape');
  }
  await page.screenshot({ path: path.join(OUT, 'no-webview.png') });
  throw new Error('the SegLab dashboard webview did not appear after 3 tries (screenshot: test-output/vscode/no-webview.png)');
}

/** Counts canvas pixels of a colour family, read back from the canvas itself. */
async function canvasStats(
  frame: Frame,
  selector: string,
): Promise<{ width: number; nonBlank: number; green: number; red: number; blue: number }> {
  return frame.$eval(selector, (c) => {
    const canvas = c as HTMLCanvasElement;
    const d = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let nonBlank = 0;
    let green = 0;
    let red = 0;
    let blue = 0;
    for (let i = 0; i < d.length; i += 4) {
      const [r, g, b, a] = [d[i], d[i + 1], d[i + 2], d[i + 3]];
      if (a > 0 && !(r === d[0] && g === d[1] && b === d[2])) nonBlank++;
      if (g > r + 40 && g > b + 40) green++;
      if (r > g + 60 && r > b + 60) red++;
      if (b > r + 60 && b > g + 30) blue++;
    }
    return { width: canvas.width, nonBlank, green, red, blue };
  });
}

/**
 * Run Sweep… through its quick picks (the defaults: bce, dice, bce+dice × sigmoid1, softmax2 × 3
 * seeds at the config's learning rate), the Sweep view as it fills, a cell's runs in the curves
 * (smoothed, exported as CSV through the save dialog) and the per-epoch slider on their overlays.
 */
interface SweepCells {
  best: string;
  cells: { id: string; label: string; runs: string[]; metrics: Record<string, { mean: number; n: number }> }[];
}

/**
 * The Sweep view's exploring tools against sweep.json: the scatter's points are the cells' mean Dice
 * and HD95 with a Pareto front no point dominates; brushing the Dice axis of the parallel coordinates
 * leaves in the table exactly the cells whose mean Dice lies in the brushed range; the filter box keeps
 * the cells whose label has the text.
 */
async function sweepExploreSteps(page: Page, frame: Frame, sweep: SweepCells): Promise<string> {
  const points = await frame.$$eval('.sweep-scatter circle[data-cell]', (cs) =>
    cs.map((c) => ({
      id: c.getAttribute('data-cell')!,
      x: Number(c.getAttribute('data-x')),
      y: Number(c.getAttribute('data-y')),
      front: c.getAttribute('data-front') === 'true',
    })),
  );
  const finite = (c: SweepCells['cells'][0], m: string) => c.metrics[m].n > 0 && Number.isFinite(c.metrics[m].mean);
  const drawable = sweep.cells.filter((c) => finite(c, 'dice') && finite(c, 'hd95'));
  assert.strictEqual(points.length, drawable.length, 'a scatter point per cell with both means');
  for (const p of points) {
    const c = sweep.cells.find((x) => x.id === p.id)!;
    assert.deepStrictEqual([p.x, p.y], [c.metrics.dice.mean, c.metrics.hd95.mean], `scatter point of ${p.id}`);
  }
  // Dice higher and HD95 lower are better: a front point is dominated by none, every other point by one.
  const dominates = (a: (typeof points)[0], b: (typeof points)[0]) => a.x >= b.x && a.y <= b.y && (a.x > b.x || a.y < b.y);
  for (const p of points) assert.strictEqual(p.front, !points.some((q) => q !== p && dominates(q, p)), `Pareto flag of ${p.id}`);
  const hit = await frame.$('.pc-hit[data-axis="dice"]');
  const box = (await hit!.boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height * 0.05);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height * 0.55, { steps: 5 });
  await page.mouse.up();
  await frame.waitForSelector('.pc-brush[data-axis="dice"]', { timeout: 10000 });
  const [lo, hi] = await frame.$eval('.pc-brush[data-axis="dice"]', (r) => [
    Number(r.getAttribute('data-lo')),
    Number(r.getAttribute('data-hi')),
  ]);
  const inRange = sweep.cells
    .filter((c) => c.metrics.dice.n > 0 && c.metrics.dice.mean >= lo - 1e-9 && c.metrics.dice.mean <= hi + 1e-9)
    .map((c) => c.id);
  const brushed = await frame.$$eval('.sweep-table tr[data-cell]', (trs) => trs.map((t) => t.getAttribute('data-cell')!));
  assert.deepStrictEqual([...brushed].sort(), [...inRange].sort(), `the table keeps the cells with mean Dice in [${lo}, ${hi}]`);
  assert.ok(brushed.length > 0 && brushed.length < sweep.cells.length, `the brush keeps some cells, not all (${brushed.length})`);
  await page.screenshot({ path: path.join(OUT, 'dashboard-sweep-explore.png') });
  await frame.click('#sweep-clear-brushes');
  await frame.fill('#sweep-filter', 'softmax2');
  await page.waitForTimeout(300);
  const filtered = await frame.$$eval('.sweep-table tr[data-cell]', (trs) => trs.map((t) => t.getAttribute('data-cell')!));
  const expected = sweep.cells.filter((c) => c.label.toLowerCase().includes('softmax2')).map((c) => c.id);
  assert.deepStrictEqual([...filtered].sort(), [...expected].sort(), 'the filter keeps the softmax2 cells');
  await frame.fill('#sweep-filter', '');
  await page.waitForTimeout(300);
  return `scatter ${points.length} points (${points.filter((p) => p.front).length} on the front), brush ${brushed.length} of ${sweep.cells.length} cells`;
}

interface TunedSweep {
  cells: { id: string; tuned?: Record<string, unknown> }[];
  prune: { rungs: number[] };
  tuning: {
    runs: { runId?: string; status: string }[];
    cells: { label: string; runs: number; done: number; pruned: number; epochs: number; chosen?: { params: Record<string, unknown> } }[];
  };
}

/**
 * The tuned sweep (prepared with the CLI) in the Sweep view: the tuning table against sweep.json
 * (runs, pruned, epochs, chosen setting per cell) and the "compared at" column; then a pruned tuning
 * run in the curves, its line stopping at the rung with a hollow mark there.
 */
async function tunedSweepSteps(page: Page, frame: Frame, ws: string): Promise<string> {
  // A tuned sweep with ASHA, run with the CLI while VS Code is open (its own runs folder, apart from the
  // sweep run from the palette; written now so that the curves' first selection stays the comparison's).
  fs.writeFileSync(
    path.join(ws, 'tuned.experiment.json'),
    JSON.stringify(smallShapesConfig({ name: 'tuned', epochs: 3, predictions: 1, runsDir: 'tuned-runs' })),
  );
  // Asynchronously: the page's connection keeps being served while the sweep runs.
  const tuned = await new Promise<{ status: number | null; stderr: string }>((resolve) => {
    const child = spawn(
      process.execPath,
      [
        path.join(ROOT, 'dist', 'cli.js'),
        ...['sweep', 'tuned.experiment.json', '--set', 'loss=bce,dice', '--set', 'optimizer.learningRate=0.0003,0.003,0.03'],
        ...['--tune', 'optimizer.learningRate', '--then-seeds', '2', '--prune', 'asha', '--parallel', '1', '--threads', '1'],
      ],
      { cwd: ws, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (status) => resolve({ status, stderr }));
  });
  if (tuned.status !== 0) throw new Error(`the tuned sweep failed: ${tuned.stderr}`);
  const root = path.join(ws, 'tuned-runs', 'sweeps');
  const dir = path.join(root, fs.readdirSync(root)[0]);
  const sweep = readJsonFile<TunedSweep>(path.join(dir, 'sweep.json'));
  await runFromPalette(page, 'SegLab: Open Sweep');
  await page.waitForSelector('.quick-input-widget input', { state: 'visible', timeout: 20000 });
  await page.keyboard.type(path.basename(dir));
  await page.waitForTimeout(600);
  await page.keyboard.press('Enter');
  await frame.waitForSelector('#sweep-tuning tr[data-tuned]', { timeout: 30000 });
  await page.waitForTimeout(500);
  const rows = await frame.$$eval('#sweep-tuning tr[data-tuned]', (trs) =>
    trs.map((tr) => Array.from(tr.children).map((c) => (c.textContent ?? '').trim())),
  );
  const setting = (p: Record<string, unknown>) =>
    Object.entries(p)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(', ');
  assert.deepStrictEqual(
    rows.map((r) => r.slice(0, 7)),
    sweep.tuning.cells.map((c) => [
      c.label,
      String(c.runs),
      String(c.done),
      String(c.pruned),
      '0',
      String(c.epochs),
      c.chosen ? setting(c.chosen.params) : '—',
    ]),
  );
  const comparedAt = await frame.$$eval('.sweep-results tr[data-cell]', (trs) =>
    trs.map((tr) => [tr.getAttribute('data-cell'), tr.querySelector('td.tuned')?.textContent ?? '']),
  );
  for (const [id, at] of comparedAt) {
    const cell = sweep.cells.find((c) => c.id === id)!;
    assert.strictEqual(at, setting(cell.tuned!), `${id} is compared at its chosen setting`);
  }
  const prune = (await frame.textContent('#sweep-prune')) ?? '';
  assert.match(prune, new RegExp(`ASHA .* at epochs? ${sweep.prune.rungs.join(', ')};`));
  await page.screenshot({ path: path.join(OUT, 'dashboard-sweep-tuned.png') });
  // A pruned tuning run in the curves: its line has values up to its rung only, and the hollow mark sits on its last one.
  const pruned = sweep.tuning.runs.filter((r) => r.status === 'pruned').length;
  assert.ok(pruned > 0, 'ASHA pruned at least one tuning run');
  await frame.click('#tab-curves');
  await frame.waitForSelector('.run-group[data-group$=" · tuning"] label.status-pruned', { timeout: 30000 });
  await frame.click('.run-group[data-group$=" · tuning"] label.status-pruned input');
  await page.waitForTimeout(800);
  const header = await frame.$$eval('.chart table.chart-data tr:first-child th', (ths) => ths.map((t) => t.textContent ?? ''));
  const table = await frame.$$eval('.chart table.chart-data tr', (trs) =>
    trs.slice(1).map((tr) => Array.from(tr.children).map((c) => c.getAttribute('data-value'))),
  );
  const stopCol = header.findIndex((h) => / pruned at epoch \d+$/.test(h));
  assert.ok(stopCol > 0, `a stop mark for the pruned run (${header.join(', ')})`);
  const epoch = Number(/ pruned at epoch (\d+)$/.exec(header[stopCol])![1]);
  assert.strictEqual(epoch, sweep.prune.rungs[0], 'stopped at the first rung');
  const lineCol = header.indexOf(header[stopCol].replace(/ pruned at epoch \d+$/, ''));
  assert.ok(lineCol > 0, `its line (${header.join(', ')})`);
  const line = table.map((row) => row[lineCol]);
  assert.ok(
    line[epoch - 1] !== null && line.slice(epoch).every((v) => v === null),
    `values up to epoch ${epoch} only (${line.join(', ')})`,
  );
  assert.deepStrictEqual(
    table.map((row) => row[stopCol]),
    line.map((v, j) => (j === epoch - 1 ? v : null)),
    'the mark is on the last value',
  );
  await frame.$eval('.chart', (e) => e.scrollIntoView({ block: 'center' }));
  await page.waitForTimeout(300);
  await page.screenshot({ path: path.join(OUT, 'dashboard-pruned-curve.png') });
  await frame.click('.run-group[data-group$=" · tuning"] label.status-pruned input');
  return `tuned sweep ${rows.length} tuned cells, ${pruned} pruned, stop mark at epoch ${epoch}`;
}

async function sweepSteps(page: Page, frame: Frame, ws: string): Promise<string> {
  await runFromPalette(page, 'SegLab: Run Sweep');
  for (let i = 0; i < 4; i++) {
    await page.waitForSelector('.quick-input-widget input', { state: 'visible', timeout: 20000 });
    await page.waitForTimeout(600);
    await page.keyboard.press('Enter');
  }
  await frame.waitForSelector('#sweep-progress', { timeout: 60000 });
  await page.waitForTimeout(1500);
  await page.screenshot({ path: path.join(OUT, 'dashboard-sweep-running.png') });
  await frame.waitForSelector('#sweep-progress >> text=/18 of 18 runs done/', { timeout: 10 * 60000 });
  await page.waitForTimeout(800);
  const rows = await frame.$$eval('.sweep-table tr[data-cell]', (trs) => trs.map((t) => t.getAttribute('data-cell')));
  assert.strictEqual(rows.length, 6, `one row per cell (${rows.join('; ')})`);
  // Drawn as SVG (an element in the SVG namespace with a size), not as its text.
  const drawn = await frame.$eval('.svg-chart svg', (e) => e instanceof SVGSVGElement && e.getBoundingClientRect().width > 200);
  assert.ok(drawn, 'the params-vs-metric chart is drawn as SVG');
  const dots = await frame.$$eval('.svg-chart circle', (cs) => cs.length);
  assert.ok(dots >= 6 + 2, `the chart has a point per loss and head, and a legend (${dots} circles)`);
  const sweepJson = fs
    .readdirSync(path.join(ws, 'runs', 'sweeps'))
    .map((d) => path.join(ws, 'runs', 'sweeps', d, 'sweep.json'))
    .find((f) => fs.existsSync(f))!;
  const sweep = readJsonFile<SweepCells>(sweepJson);
  assert.strictEqual(rows[0], sweep.best, 'sorted by Dice, best first');
  await page.screenshot({ path: path.join(OUT, 'dashboard-sweep.png') });
  // Sorting by a header reverses the order of the Dice column.
  await frame.click('button[data-sort="dice"]');
  const resorted = await frame.$$eval('.sweep-table tr[data-cell]', (trs) => trs.map((t) => t.getAttribute('data-cell')));
  assert.deepStrictEqual(resorted, [...rows].reverse());
  const explored = await sweepExploreSteps(page, frame, sweep);
  // "Show runs" of a cell: its three runs become the curves.
  const cell = resorted[0]!;
  await frame.click(`tr[data-cell="${cell}"] button.open-cell`);
  await frame.waitForSelector('.chart canvas', { timeout: 30000 });
  await page.waitForTimeout(800);
  const header = await frame.$$eval('.chart table.chart-data tr:first-child th', (ths) => ths.map((t) => t.textContent ?? ''));
  const cellRuns = sweep.cells.find((c) => c.id === cell)!.runs;
  const isMark = (h: string) => h.endsWith(' best epoch');
  const lines = header.slice(1).filter((h) => !isMark(h));
  assert.strictEqual(lines.length, cellRuns.length, `the cell's ${cellRuns.length} runs are plotted (${header.join(', ')})`);
  // Each run's best epoch is marked once, at the epoch its summary.json names.
  const table = await frame.$$eval('.chart table.chart-data tr', (trs) =>
    trs.slice(1).map((tr) => Array.from(tr.children).map((c) => c.getAttribute('data-value'))),
  );
  const bestEpochs = cellRuns.map((id) => readJsonFile<{ bestEpoch: number }>(path.join(ws, 'runs', id, 'summary.json')).bestEpoch).sort();
  const marked = header
    .map((h, j) => (isMark(h) ? table.findIndex((row) => row[j] !== null) + 1 : 0))
    .filter((e) => e > 0)
    .sort();
  assert.deepStrictEqual(marked, bestEpochs, `best-epoch marks at the summaries' best epochs (${header.join(', ')})`);
  // The sweep's runs are listed together under its name.
  const grouped = await frame.$$eval('.run-group', (gs) =>
    gs.map((g) => ({ name: g.getAttribute('data-group') ?? '', runs: g.querySelectorAll('label').length })),
  );
  const sweepRuns = sweep.cells.reduce((n, c) => n + c.runs.length, 0);
  assert.ok(
    grouped.some((g) => g.name.startsWith('sweep tiny · ') && g.runs === sweepRuns),
    `a group with the sweep's ${sweepRuns} runs (${JSON.stringify(grouped)})`,
  );
  const params = await frame.$$eval('.run-params', (ps) => ps.map((p) => p.textContent ?? ''));
  assert.ok(
    params.some((p) => /seed \d+ · lr /.test(p)),
    `run parameters beside the curves (${params[0]})`,
  );
  // Smoothing: each run gets its raw curve (faint) and the smoothed one.
  await frame.$eval('#smoothing', (e) => {
    (e as HTMLInputElement).value = '0.6';
    e.dispatchEvent(new Event('change'));
  });
  await page.waitForTimeout(800);
  const smoothed = await frame.$$eval('.chart table.chart-data tr:first-child th', (ths) => ths.map((t) => t.textContent ?? ''));
  assert.strictEqual(
    smoothed.slice(1).filter((h) => !isMark(h)).length,
    2 * cellRuns.length,
    `raw and smoothed per run (${smoothed.join(', ')})`,
  );
  await page.screenshot({ path: path.join(OUT, 'dashboard-sweep-cell-curves.png') });
  // Export CSV: the save dialog (code-server's simple dialog) proposes the workspace; Enter saves there.
  await frame.click('button[data-export="csv"]');
  await page.waitForSelector('.quick-input-widget input', { state: 'visible', timeout: 20000 });
  await page.waitForTimeout(600);
  await page.keyboard.press('Enter');
  const csvFile = path.join(ws, 'train-loss.csv');
  for (let i = 0; i < 40 && !fs.existsSync(csvFile); i++) await page.waitForTimeout(250);
  const csvText = fs.readFileSync(csvFile, 'utf8');
  assert.match(csvText, /^epoch,/, csvText.slice(0, 200));
  assert.strictEqual(csvText.trim().split('\n').length, 1 + 4, 'a line per epoch (raw values)');
  // The cell's runs in Overlays (its seeds validate on different images: the first run is shown);
  // the epoch slider asks for the prediction saved at the first validated epoch.
  await frame.click('#tab-overlays');
  const slug = String(cell)
    .replace(/^loss=([^,]+),head=(.+)$/, '$1-$2')
    .replace('+', '_');
  await frame.waitForSelector(`figcaption >> text=/tiny-${slug}-s/`, { timeout: 30000 });
  const captions = await frame.$$eval('figcaption', (fs) => fs.map((f) => f.textContent ?? ''));
  assert.ok(
    captions.every((c) => c.includes(`tiny-${slug}-s`)),
    `the overlays show the cell's runs (${captions.join('; ')})`,
  );
  await frame.$eval('#epoch', (e) => {
    (e as HTMLInputElement).value = '0';
    e.dispatchEvent(new Event('input'));
    e.dispatchEvent(new Event('change'));
  });
  const first = ((await frame.textContent('output[for="epoch"]')) ?? '').replace('epoch ', '');
  await frame.waitForSelector(`figcaption >> text=/at epoch ${first}/`, { timeout: 30000 });
  await page.waitForTimeout(500);
  await page.screenshot({ path: path.join(OUT, 'dashboard-sweep-cell-overlay-epoch.png') });
  return `sweep view ${rows.length} cells, ${dots} chart marks, ${explored}, CSV ${csvText.length} bytes`;
}

export async function runUiTest(): Promise<void> {
  fs.mkdirSync(OUT, { recursive: true });
  const { ws, runs } = prepareWorkspace();
  const wb = await startWorkbench();
  try {
    const page = wb.page;
    await page.goto(wb.url(ws, [['extensionDevelopmentPath', remote(wb.port, ROOT)]]));
    await page.waitForSelector('.monaco-workbench', { timeout: 60000 });
    await page.waitForTimeout(3000);
    const frame = await openDashboard(page);
    await frame.waitForSelector('.chart canvas', { timeout: 60000 });
    await page.waitForTimeout(800);
    const curves = await canvasStats(frame, '.chart canvas');
    assert.ok(curves.nonBlank > 500, `the loss-curve canvas is drawn (${curves.nonBlank} non-background pixels)`);
    // The chart's data table holds what was plotted: each run's train loss per epoch, as in its metrics.jsonl.
    const plotted = await frame.$$eval('.chart table.chart-data tr', (rows) =>
      rows.map((r) => Array.from(r.children).map((c) => c.getAttribute('data-value') ?? c.textContent ?? '')),
    );
    const [header, ...rows] = plotted;
    // Besides each run's curve, a column per run marks its best epoch (checked in the sweep steps).
    const lineColumns = header.map((_h, j) => j).filter((j) => j > 0 && !header[j].endsWith(' best epoch'));
    assert.strictEqual(lineColumns.length, Math.min(4, runs.size), `one curve per run (${header.join(', ')})`);
    for (const j of lineColumns) {
      const run = runs.get(header[j]);
      assert.ok(run, `curve "${header[j]}" is one of the runs (${[...runs.keys()].join(', ')})`);
      assert.deepStrictEqual(
        rows.map((row) => Number(row[j])),
        run.trainLoss,
        `curve "${header[j]}" plots that run's train loss per epoch`,
      );
    }
    await page.screenshot({ path: path.join(OUT, 'dashboard-curves.png') });

    await frame.click('#tab-overlays');
    await frame.waitForSelector('select[aria-label="run"] option', { state: 'attached' });
    const options = await frame.$$eval('select[aria-label="run"] option', (os) => os.map((o) => (o as HTMLOptionElement).value));
    if (options.length > 1) await frame.selectOption('select[aria-label="second run (side by side)"]', options[1]);
    await frame.click('text=Show');
    await frame.waitForSelector('.canvases canvas', { timeout: 30000 });
    await page.waitForTimeout(500);
    const overlay = await canvasStats(frame, '.canvases canvas');
    assert.ok(overlay.nonBlank > 100, 'the overlay is drawn');
    assert.ok(
      overlay.green + overlay.red + overlay.blue > 20,
      `error colours are drawn (green ${overlay.green}, red ${overlay.red}, blue ${overlay.blue})`,
    );
    // The overlay's confusion counts at threshold 0.50 are those of the saved files.
    const shownImage = await frame.$eval('select[aria-label="image"]', (e) => (e as HTMLSelectElement).value);
    const stats = (await frame.textContent('.stats')) ?? '';
    const counts = /TP (\d+), FP (\d+), FN (\d+)/.exec(stats);
    assert.ok(counts, `the overlay states its counts (${stats})`);
    const firstRunId = options[0];
    const firstRun = [...runs.values()].find((run) => path.basename(run.dir) === firstRunId);
    assert.ok(firstRun, `the overlay's run ${firstRunId} is one of the comparison's runs`);
    assert.deepStrictEqual(
      { tp: Number(counts[1]), fp: Number(counts[2]), fn: Number(counts[3]) },
      confusionFromFiles(firstRun.dir, shownImage),
      `overlay counts for ${shownImage}: ${stats}`,
    );
    const canvases = await frame.$$('.canvases canvas');
    assert.strictEqual(canvases.length, options.length > 1 ? 2 : 1, 'side by side');
    await page.screenshot({ path: path.join(OUT, 'dashboard-overlay.png') });
    const lossMapInfo = await lossMapSteps(page, frame, firstRun.dir, shownImage, { fp: Number(counts[2]), fn: Number(counts[3]) });

    // Calibration: tick both heads' runs, Show, and read each diagram's ECE and Brier against calibration.json.
    await frame.click('#tab-calibration');
    const ticks = await frame.$$('.run-picker input[type=checkbox]');
    for (const t of ticks.slice(0, 2)) await t.check();
    await frame.click('.run-picker button');
    await frame.waitForSelector('.calibration-charts figure svg', { timeout: 30000 });
    const shownCalibration = await frame.$$eval('table.agg tr', (rows) =>
      rows.slice(1).map((r) => Array.from(r.children).map((c) => c.textContent ?? '')),
    );
    assert.strictEqual(shownCalibration.length, Math.min(2, ticks.length), 'a row per ticked run');
    for (const [label, , epoch, ece, brier] of shownCalibration) {
      const run = [...runs.entries()].find(([key]) => key.endsWith(` · ${label}`))?.[1];
      assert.ok(run, `calibration row "${label}" is one of the runs`);
      const file = JSON.parse(fs.readFileSync(path.join(run.dir, 'calibration.json'), 'utf8'));
      assert.deepStrictEqual(
        [Number(epoch), ece, brier],
        [file.epoch, file.ece.toFixed(4), file.brier.toFixed(4)],
        `${label}: calibration.json`,
      );
    }
    const diagrams = await frame.$$eval('.calibration-charts svg rect', (rs) => rs.length);
    assert.ok(diagrams >= 2, `the diagrams draw their bins (${diagrams} rectangles)`);
    await page.screenshot({ path: path.join(OUT, 'dashboard-calibration.png') });

    await frame.click('#tab-explorer');
    await frame.waitForSelector('.chart canvas', { timeout: 60000 });
    await page.waitForTimeout(500);
    const explorer = await canvasStats(frame, '.chart canvas');
    assert.ok(explorer.nonBlank > 500, `the loss explorer is drawn (${explorer.nonBlank} px)`);
    await page.screenshot({ path: path.join(OUT, 'dashboard-loss-explorer.png') });

    // The U-Net weight map of a saved ground truth: a viridis heat map, so the canvas holds
    // the dark-blue low end (cell interiors) and green/yellow high values (borders).
    await frame.click('#tab-weightmap');
    await frame.click('text=Compute w(x)');
    await frame.waitForSelector('canvas[aria-label^="weight map"]', { timeout: 60000 });
    await page.waitForTimeout(300);
    const weights = await canvasStats(frame, 'canvas[aria-label^="weight map"]');
    assert.ok(weights.nonBlank > 50, `the weight map is drawn (${weights.nonBlank} px)`);
    assert.ok(weights.green > 0, `high weights are drawn (${weights.green} green/yellow px)`);
    await page.screenshot({ path: path.join(OUT, 'dashboard-weight-map.png') });
    const sweepInfo = await sweepSteps(page, frame, ws);
    const tunedInfo = await tunedSweepSteps(page, frame, ws);
    // Install TensorFlow Native Backend from the palette: a progress notification while npm runs, then
    // either the success message or an error that says why (here: libtensorflow cannot be downloaded).
    await runFromPalette(page, 'SegLab: Install TensorFlow Native Backend');
    await page.waitForSelector('.notifications-toasts >> text=/installing tfjs-node/', { timeout: 30000 });
    await page.screenshot({ path: path.join(OUT, 'install-tfjs-node-progress.png') });
    const outcome = await page.waitForSelector('.notifications-toasts >> text=/tfjs-node not installed|tfjs-node 4\.22\.0 installed/', {
      timeout: 10 * 60000,
    });
    const message = (await outcome.textContent()) ?? '';
    await page.waitForTimeout(500);
    await page.screenshot({ path: path.join(OUT, 'install-tfjs-node-result.png') });
    assert.match(message, /not installed: .*SegLab keeps using the wasm backend|installed/, message);
    // Install GPU Support: npm installs webgpu (Dawn) into the extension's storage; the message says
    // what changes (auto takes a hardware GPU) or why it failed.
    await runFromPalette(page, 'SegLab: Install GPU Support');
    const gpuOutcome = await page.waitForSelector(
      '.notifications-toasts >> text=/GPU support \\(webgpu .*\\) installed|GPU support \\(webgpu\\) not installed/',
      {
        timeout: 10 * 60000,
      },
    );
    const gpuMessage = (await gpuOutcome.textContent()) ?? '';
    await page.waitForTimeout(500);
    await page.screenshot({ path: path.join(OUT, 'install-gpu-support-result.png') });
    assert.match(gpuMessage, /GPU support \(webgpu 0\.6\.2\) installed; new runs train on a hardware GPU when one is found/, gpuMessage);
    // The walkthrough a new user is offered: Welcome: Open Walkthrough… → Get started with SegLab.
    await runFromPalette(page, 'Welcome: Open Walkthrough');
    const pick = await page.waitForSelector('.quick-input-widget input', { timeout: 20000 });
    await pick.type('Get started with SegLab');
    await page.waitForTimeout(800);
    await page.keyboard.press('Enter');
    for (const step of ['Create an experiment config', 'Compare sigmoid vs softmax', 'Watch the curves', 'Evaluate your own predictions']) {
      await page.waitForSelector(`.gettingStartedContainer >> text=${step}`, { timeout: 30000 });
    }
    await page.waitForTimeout(1500); // the step's markdown renders in its own frame
    await page.screenshot({ path: path.join(OUT, 'walkthrough.png') });
    process.stdout.write(
      `UI test passed: curves ${curves.nonBlank} px, overlay green/red/blue ${overlay.green}/${overlay.red}/${overlay.blue}, ${lossMapInfo}, loss explorer ${explorer.nonBlank} px, weight map ${weights.nonBlank} px (${weights.green} high); install tfjs-node: "${message.slice(0, 120)}…"; install GPU support: "${gpuMessage.slice(0, 80)}…"; walkthrough shown; ${sweepInfo}; ${tunedInfo}; screenshots in ${OUT}\n`,
    );
  } catch (err) {
    await wb.page.screenshot({ path: path.join(OUT, 'failure.png') }).catch(() => undefined);
    throw new Error(`${(err as Error).message} (screenshot: test-output/vscode/failure.png)`);
  } finally {
    await wb.stop();
    fs.rmSync(ws, { recursive: true, force: true });
  }
}
