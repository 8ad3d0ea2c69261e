/**
 * Fault injection (`npm run test:faults`, also run by `npm test`): engines killed with SIGKILL at
 * random moments (on wasm, and on webgpu where Dawn finds an adapter), Ctrl-C (SIGINT to the whole process group) at random moments, and a disk that fills
 * up during a run. After each, every file in the run folder must parse and the run's status must name
 * how it ended. The random delays are printed (and SEGLAB_FAULT_SEED repeats them).
 */
import * as assert from 'assert';
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { decodeJson } from '../../src/core/common/json';
import { validateConfig } from '../../src/core/config/config';
import { decodePng, encodePng8 } from '../../src/core/data/png';
import { Rng } from '../../src/core/data/rng';
import { maskedCrc32c } from '../../src/core/runs/tensorboard';
import { startTraining } from '../../src/engine/client';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const ENGINE = path.join(ROOT, 'dist', 'engine.js');
const seed = Number(process.env.SEGLAB_FAULT_SEED ?? Date.now() % 100000);
const rng = new Rng(seed);

const tiny = {
  name: 'fault',
  dataset: { builtin: 'shapes', count: 12, size: 32 },
  model: { depth: 2, baseFilters: 4 },
  epochs: 40,
  batchSize: 4,
  stepsPerEpoch: 2,
  predictions: 2,
  backend: 'wasm',
};

/** Every file of a run folder parses; nothing half-written is left (temporaries, partial checkpoints). */
function checkRunFolder(dir: string): string[] {
  const seen: string[] = [];
  const visit = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const file = path.join(d, e.name);
      const rel = path.relative(dir, file);
      if (e.isDirectory()) {
        assert.ok(!/\.(new|old)-\d+$/.test(e.name), `${rel}: a checkpoint left half-replaced`);
        visit(file);
        continue;
      }
      seen.push(rel);
      assert.ok(!e.name.endsWith('.tmp'), `${rel}: a temporary file left behind`);
      const text = () => fs.readFileSync(file, 'utf8');
      if (e.name.endsWith('.json') || e.name === '.seglab-run') decodeJson(text());
      else if (e.name.endsWith('.jsonl')) {
        text()
          .split('\n')
          .filter((l) => l.trim())
          .forEach((l, i) => assert.doesNotThrow(() => decodeJson(l), `${rel}:${i + 1}`));
      } else if (e.name.endsWith('.tsv')) {
        const [header, ...rows] = text().trim().split('\n');
        const columns = header.split('\t').length;
        for (const row of rows) {
          const cells = row.split('\t');
          assert.strictEqual(cells.length, columns, `${rel}: ${row}`);
          for (const c of cells) assert.ok(/^(-?inf|nan|-?[0-9.e+-]+)$/.test(c), `${rel}: '${c}' is not a number`);
        }
      } else if (e.name.endsWith('.png')) decodePng(fs.readFileSync(file), file);
      else if (e.name === 'weights.bin') {
        const manifest = JSON.parse(fs.readFileSync(path.join(d, 'model.json'), 'utf8')).weightsManifest[0].weights as {
          shape: number[];
        }[];
        const bytes = manifest.reduce((a, w) => a + 4 * w.shape.reduce((x, y) => x * y, 1), 0);
        assert.strictEqual(fs.statSync(file).size, bytes, `${rel}: weights.bin does not match its model.json`);
      } else if (e.name.startsWith('events.out.tfevents.')) {
        // TFRecords end to end: every length and payload CRC checks, and the file ends on a record boundary.
        const b = fs.readFileSync(file);
        let at = 0;
        while (at < b.length) {
          assert.ok(at + 12 <= b.length, `${rel}: a record header cut at byte ${at}`);
          const len = Number(b.readBigUInt64LE(at));
          assert.strictEqual(b.readUInt32LE(at + 8), maskedCrc32c(b.subarray(at, at + 8)), `${rel}: length CRC at byte ${at}`);
          assert.ok(at + 16 + len <= b.length, `${rel}: a record cut at byte ${at}`);
          assert.strictEqual(
            b.readUInt32LE(at + 12 + len),
            maskedCrc32c(b.subarray(at + 12, at + 12 + len)),
            `${rel}: data CRC at byte ${at}`,
          );
          at += 16 + len;
        }
      }
    }
  };
  visit(dir);
  return seen;
}

/** Sends a signal unless the process has already ended (a run can finish before its random moment). */
function signal(pid: number | undefined, sig: NodeJS.Signals): void {
  try {
    if (pid) process.kill(pid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

function status(dir: string): { status: string; reason?: string } {
  return decodeJson(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8')) as { status: string; reason?: string };
}

let work: string;
before(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'seglab-faults-'));
  process.stdout.write(`      (fault seed ${seed}; SEGLAB_FAULT_SEED=${seed} repeats these delays)\n`);
});
after(() => fs.rmSync(work, { recursive: true, force: true }));

describe('fault injection', () => {
  for (const backend of ['wasm', 'webgpu']) {
    it(`SIGKILL of the engine at random moments (${backend}): status failed, every file parses`, async function () {
      if (backend === 'webgpu') {
        // the adapter Dawn finds (lavapipe here); a software GPU compiles its shaders on the CPU
        const probe = spawnSync(process.execPath, [CLI, 'backend', '--backend', 'webgpu'], { encoding: 'utf8' });
        if (probe.status !== 0) {
          process.stdout.write(`      (skipped: ${probe.stderr.trim()})\n`);
          this.skip();
        }
      }
      const kills = backend === 'wasm' ? Number(process.env.SEGLAB_FAULT_KILLS ?? 6) : 3;
      for (let k = 0; k < kills; k++) {
        const delay = Math.round(rng.next() * 2500);
        const config = { ...validateConfig({ ...tiny, backend }, 'fault config'), runsDir: path.join(work, `kill-${backend}`) };
        let runDir: string | undefined;
        const job = startTraining(config, {
          enginePath: ENGINE,
          onEvent: (e) => {
            if (e.type === 'start') {
              runDir = e.runDir;
              setTimeout(() => signal(job.pid, 'SIGKILL'), delay);
            }
          },
        });
        const result = await job.result;
        if (result.status === 'done') continue; // finished before the kill
        assert.strictEqual(result.status, 'failed', `kill after ${delay} ms: ${result.reason}`);
        assert.match(result.reason ?? '', /killed by SIGKILL/);
        assert.ok(runDir, 'the run folder exists');
        const files = checkRunFolder(runDir!);
        assert.ok(files.includes('summary.json'), files.join(', '));
        assert.strictEqual(status(runDir!).status, 'failed', `kill after ${delay} ms`);
      }
    });
  }

  it('Ctrl-C (SIGINT to the process group) at random moments: status cancelled, every file parses', async () => {
    fs.writeFileSync(path.join(work, 'fault.json'), JSON.stringify(tiny));
    for (let k = 0; k < 3; k++) {
      const delay = Math.round(rng.next() * 1500);
      const { code, lines } = await new Promise<{ code: number | null; lines: Record<string, unknown>[] }>((resolve) => {
        const child = spawn(process.execPath, [CLI, 'train', 'fault.json', '--json'], { cwd: work, detached: true });
        let out = '';
        let sent = false;
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (!sent && out.includes('"type":"start"')) {
            sent = true;
            setTimeout(() => signal(-child.pid!, 'SIGINT'), delay);
          }
        });
        child.on('exit', (c) =>
          resolve({
            code: c,
            lines: out
              .trim()
              .split('\n')
              .map((l) => JSON.parse(l)),
          }),
        );
      });
      const result = lines[lines.length - 1] as { status: string; runDir: string };
      if (result.status === 'done') continue;
      assert.strictEqual(code, 130, `SIGINT after ${delay} ms`);
      assert.strictEqual(result.status, 'cancelled');
      checkRunFolder(result.runDir);
      assert.strictEqual(status(result.runDir).status, 'cancelled');
      const batches = lines.filter((l) => l.type === 'batch').length;
      if (batches > 0)
        assert.ok(fs.existsSync(path.join(result.runDir, 'checkpoints', 'last', 'model.json')), 'a checkpoint after stopping');
    }
  });

  it('a disk that fills up during a run: failed: disk full, nothing half-written', async function () {
    const mount = path.join(work, 'small-disk');
    fs.mkdirSync(mount);
    const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mount], { encoding: 'utf8' });
    if (m.status !== 0) {
      process.stdout.write(`      skipped: cannot mount a small tmpfs here (${(m.stderr || m.error?.message || '').trim()}); needs root\n`);
      this.skip();
    }
    try {
      const config = { ...validateConfig(tiny, 'fault config'), runsDir: path.join(mount, 'runs') };
      let runDir: string | undefined;
      // After the first epoch, another program takes every byte left (the run's next write fails).
      const fill = () => {
        const fd = fs.openSync(path.join(mount, 'filler'), 'w');
        const block = Buffer.alloc(64 * 1024, 1);
        try {
          for (;;) fs.writeSync(fd, block);
        } catch {
          for (let size = 4096; size >= 1; size = Math.floor(size / 2)) {
            try {
              for (;;) fs.writeSync(fd, block.subarray(0, size));
            } catch {
              // smaller pieces until not even one byte fits
            }
          }
        } finally {
          fs.closeSync(fd);
        }
      };
      let filled = false;
      const job = startTraining(config, {
        enginePath: ENGINE,
        onEvent: (e) => {
          if (e.type === 'start') runDir = e.runDir;
          if (e.type === 'epoch' && !filled) [filled] = [true, fill()];
        },
      });
      const result = await job.result;
      assert.strictEqual(result.status, 'failed', result.reason);
      assert.match(result.reason ?? '', /^disk full: .*ENOSPC/);
      checkRunFolder(runDir!);
      assert.match(status(runDir!).reason ?? '', /^disk full/);
    } finally {
      spawnSync('umount', [mount]);
    }
  });

  it('a disk with room for the run folder but not its config.json: the run lists as failed: disk full', async function () {
    const mount = path.join(work, 'tiny-disk');
    fs.mkdirSync(mount);
    const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mount], { encoding: 'utf8' });
    if (m.status !== 0) {
      process.stdout.write(`      skipped: cannot mount a small tmpfs here (${(m.stderr || m.error?.message || '').trim()}); needs root\n`);
      this.skip();
    }
    try {
      fs.mkdirSync(path.join(mount, 'runs'));
      // Fill the disk, then give back the run's reserve (256 KiB) and one page for its marker.
      const filler = path.join(mount, 'filler');
      const fd = fs.openSync(filler, 'w');
      try {
        for (const block = Buffer.alloc(4096, 1); ;) fs.writeSync(fd, block);
      } catch {
        // full
      } finally {
        fs.closeSync(fd);
      }
      fs.truncateSync(filler, fs.statSync(filler).size - 256 * 1024 - 4096);
      const config = { ...validateConfig(tiny, 'fault config'), runsDir: path.join(mount, 'runs') };
      const result = await startTraining(config, { enginePath: ENGINE, onEvent: () => undefined }).result;
      assert.strictEqual(result.status, 'failed', result.reason);
      assert.match(result.reason ?? '', /ENOSPC/);
      const runs = fs.readdirSync(path.join(mount, 'runs'));
      assert.strictEqual(runs.length, 1, `one run folder: ${runs.join(', ')}`);
      const runDir = path.join(mount, 'runs', runs[0]);
      assert.deepStrictEqual(status(runDir).status, 'failed');
      assert.match(status(runDir).reason ?? '', /^disk full: .*ENOSPC/);
      checkRunFolder(runDir);
    } finally {
      spawnSync('umount', [mount]);
    }
  });

  it('images smaller than the network can take: refused before a run folder exists', () => {
    const data = path.join(work, 'one-pixel');
    for (const sub of ['images', 'masks']) fs.mkdirSync(path.join(data, sub), { recursive: true });
    const png1x1 = encodePng8([0], 1, 1);
    for (const n of ['a', 'b', 'c']) {
      fs.writeFileSync(path.join(data, 'images', `${n}.png`), png1x1);
      fs.writeFileSync(path.join(data, 'masks', `${n}.png`), png1x1);
    }
    fs.writeFileSync(
      path.join(work, 'tiny-images.json'),
      JSON.stringify({ ...tiny, dataset: { images: 'one-pixel/images', masks: 'one-pixel/masks' }, runsDir: 'runs-1px' }),
    );
    const r = spawnSync(process.execPath, [CLI, 'train', 'tiny-images.json'], { cwd: work, encoding: 'utf8' });
    assert.strictEqual(r.status, 1, r.stderr);
    assert.match(r.stdout + r.stderr, /a\.png: 1×1 pixels is smaller than 4×4, the least a U-Net of depth 2 can take/);
    assert.ok(!fs.existsSync(path.join(work, 'runs-1px')) || fs.readdirSync(path.join(work, 'runs-1px')).length === 0, 'no run folder');
  });
});
