/** The engine process: events over IPC, cancel, crash, NaN, bad config; and comparisons. */
import * as assert from 'assert';
import { readComparisonFile } from '../../src/core/runs/decodeFiles';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readRun } from '../../src/core/runs/store';
import { TrainEvent } from '../../src/core/train/trainer';
import { runComparison, shareThreads } from '../../src/engine/compare';
import { startTraining } from '../../src/engine/client';
import { parseEngineMessage, parseEngineRequest } from '../../src/engine/protocol';
import { ROOT, tinyExperiment } from './helpers';

const ENGINE = path.join(ROOT, 'dist', 'engine.js');
let runsDir: string;
before(() => {
  runsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglab-engine-'));
});
after(() => fs.rmSync(runsDir, { recursive: true, force: true }));

const tiny = (extra: Record<string, unknown> = {}) =>
  tinyExperiment(runsDir, { dataset: { builtin: 'shapes', count: 12, size: 16 }, ...extra });

describe('engine process', () => {
  it('trains in a child process and streams start, batch, epoch and end events', async () => {
    const events: TrainEvent[] = [];
    const job = startTraining(tiny(), { enginePath: ENGINE, onEvent: (e) => events.push(e) });
    assert.ok(job.pid && job.pid !== process.pid, 'a separate process');
    const result = await job.result;
    assert.strictEqual(result.status, 'done', result.reason);
    assert.deepStrictEqual([...new Set(events.map((e) => e.type))], ['start', 'batch', 'epoch', 'end']);
    const batch = events.find((e) => e.type === 'batch') as Extract<TrainEvent, { type: 'batch' }>;
    assert.ok(batch.imagesPerSecond > 0 && batch.etaSeconds >= 0);
    assert.strictEqual(readRun(result.runDir!).summary?.pid, job.pid);
  });

  it('cancel ends the run as cancelled after saving a checkpoint', async () => {
    let job: ReturnType<typeof startTraining> | undefined = undefined;
    job = startTraining(tiny({ epochs: 50 }), { enginePath: ENGINE, onEvent: (e) => e.type === 'batch' && job?.cancel() });
    const result = await job.result;
    assert.strictEqual(result.status, 'cancelled', result.reason);
    assert.ok(fs.existsSync(path.join(result.runDir!, 'checkpoints', 'last', 'model.json')));
    assert.strictEqual(readRun(result.runDir!).summary?.status, 'cancelled');
  });

  it('a crashed engine (killed mid-run) ends the run as failed, and its summary says so', async () => {
    let started = false;
    let killed = false;
    // Killed from outside after its first batch, as the out-of-memory killer would.
    const job: ReturnType<typeof startTraining> = startTraining(tiny({ epochs: 200 }), {
      enginePath: ENGINE,
      onEvent: (e) => {
        started ||= e.type === 'start';
        if (e.type === 'batch' && !killed) {
          killed = true;
          process.kill(job.pid!, 'SIGKILL');
        }
      },
    });
    const result = await job.result;
    assert.ok(started, 'the run had started');
    assert.strictEqual(result.status, 'failed');
    assert.match(result.reason ?? '', /the engine process was killed by SIGKILL before the run ended/);
    const summary = readRun(result.runDir!).summary!;
    assert.strictEqual(summary.status, 'failed');
    assert.match(summary.reason ?? '', /SIGKILL/);
  });

  it('a NaN loss in the engine ends the run as failed with the step', async () => {
    const job = startTraining(tiny(), { enginePath: ENGINE, env: { ...process.env, SEGLAB_TEST_NAN_AT_STEP: '2' } });
    const result = await job.result;
    assert.strictEqual(result.status, 'failed');
    assert.match(result.reason ?? '', /loss became NaN at epoch 1, step 2/);
  });

  it('a dataset error is reported without creating a run', async () => {
    const config = {
      ...tiny(),
      dataset: { ...tiny().dataset, builtin: undefined, images: '/nonexistent/img', masks: '/nonexistent/mask' },
    };
    const result = await startTraining(config, { enginePath: ENGINE }).result;
    assert.strictEqual(result.status, 'failed');
    assert.match(result.reason ?? '', /\/nonexistent\/img: cannot read the image folder \(no such folder\)/);
    assert.strictEqual(result.runDir, undefined);
  });

  it('messages are validated on both sides', () => {
    assert.strictEqual(parseEngineRequest({ type: 'launch' }), "unknown request type 'launch'");
    assert.strictEqual(parseEngineRequest({ type: 'train' }), 'train: "config" must be an object');
    assert.deepStrictEqual(parseEngineRequest({ type: 'cancel' }), { type: 'cancel' });
    assert.strictEqual(parseEngineMessage({ type: 'event', event: { type: 'boom' } }), 'event: unknown event');
    assert.strictEqual(parseEngineMessage(42), 'a message must be an object with a string "type"');
  });
});

describe('comparison', () => {
  it('runs both heads in parallel processes and writes comparison.json and report.html', async () => {
    const result = await runComparison(tiny({ epochs: 2 }), { heads: ['sigmoid1', 'softmax2'], seeds: [1, 2], parallel: 2 }).result;
    assert.strictEqual(result.runs.length, 4);
    assert.ok(
      result.runs.every((r) => r.status === 'done'),
      JSON.stringify(result.runs.map((r) => r.reason)),
    );
    const json = JSON.parse(fs.readFileSync(path.join(result.dir, 'comparison.json'), 'utf8'));
    assert.deepStrictEqual(json.heads, ['sigmoid1', 'softmax2']);
    // The typed decoder accepts what the engine writes, and names a damaged field (issue 22).
    const file = path.join(result.dir, 'comparison.json');
    assert.deepStrictEqual(
      readComparisonFile(file)
        .runs.map((r) => r.seed)
        .sort(),
      [1, 1, 2, 2],
    );
    fs.writeFileSync(path.join(result.dir, 'damaged.json'), JSON.stringify({ ...json, runs: [...json.runs, null] }));
    assert.throws(
      () => readComparisonFile(path.join(result.dir, 'damaged.json')),
      /damaged\.json: "runs\[4\]" must be an object, got null/,
    );
    const noStats = { ...json, summary: { ...json.summary, perHead: { sigmoid1: { dice: { mean: 0.5 } } } } };
    fs.writeFileSync(path.join(result.dir, 'damaged.json'), JSON.stringify(noStats));
    assert.throws(() => readComparisonFile(path.join(result.dir, 'damaged.json')), /"summary\.perHead\.sigmoid1\.dice\.std" is missing/);
    assert.strictEqual(json.summary.perHead.softmax2.dice.n, 2);
    const paired = json.summary.paired.find((p: { metric: string }) => p.metric === 'dice');
    assert.strictEqual(paired.differences.length, 2);
    const html = fs.readFileSync(result.report, 'utf8');
    assert.match(html, /Content-Security-Policy" content="default-src 'none'; img-src data:/);
    assert.strictEqual((html.match(/<svg /g) ?? []).length, 6, 'four curve charts and a reliability diagram per head');
    assert.strictEqual((html.match(/aria-label="[^"]*: ECE /g) ?? []).length, 2, "the first seed's two heads, side by side");
    assert.ok((html.match(/data:image\/png;base64/g) ?? []).length >= 4, 'overlays');
    assert.doesNotMatch(html, /https?:\/\/(?!www\.w3)/, 'no remote resources');
  });

  it('parallel runs share the thread budget: 2 runs on a budget of 2 get one thread each (recorded per run)', async () => {
    const result = await runComparison(tiny({ epochs: 1, backend: 'wasm' }), { heads: ['sigmoid1', 'softmax2'], seeds: [1], threads: 2 })
      .result;
    for (const r of result.runs) {
      const summary = JSON.parse(fs.readFileSync(path.join(r.runDir!, 'summary.json'), 'utf8'));
      assert.strictEqual(summary.threads, 1, `${r.head}: ${JSON.stringify(summary)}`);
    }
  });
});

describe('thread budget', () => {
  it('splits the budget equally between the runs at a time, at least one thread each', () => {
    assert.deepStrictEqual(shareThreads(2, undefined, 2), { parallel: 2, threadsPerRun: 1 }); // a comparison on 2 cores
    assert.deepStrictEqual(shareThreads(2, 1, 2), { parallel: 1, threadsPerRun: 2 }); // one run at a time uses both
    assert.deepStrictEqual(shareThreads(8, 3, 10), { parallel: 3, threadsPerRun: 2 }); // ⌊8/3⌋, never over budget
    assert.deepStrictEqual(shareThreads(8, undefined, 1), { parallel: 1, threadsPerRun: 8 }); // a single job gets it all
    assert.deepStrictEqual(shareThreads(2, 4, 4), { parallel: 4, threadsPerRun: 1 }); // more runs than threads: 1 each
    assert.throws(() => shareThreads(0, 1, 1), /threads must be a positive integer, got 0/);
    assert.throws(() => shareThreads(2, 1.5, 1), /parallel must be a positive integer, got 1.5/);
  });
});
