/**
 * The fuzz suite's worker (fuzz.test.ts starts it as a child process so that a hang or a runaway
 * allocation cannot take the test runner with it). It reads cases from a JSON file, runs each through
 * the reader the CLI uses for that kind of file, and writes one JSON line per case to stdout:
 * `{"start": i}` before it, then `{"i", "ok": true, "value"}` or `{"i", "ok": false, "error", "named"}`.
 * The last line reports the worker's peak resident memory.
 */
import * as fs from 'fs';
import { encodeJson } from '../../src/core/common/json';
import * as path from 'path';
import { readArrayFile } from '../../src/core/data/arrayFile';
import { readRawImage } from '../../src/core/data/image';
import { readTiffPages, TiffPage } from '../../src/core/data/tiff';
import { indexTiffStack, pageRef, readStackPage } from '../../src/core/data/tiffPages';
import { loadConfig } from '../../src/core/config/config';
import { decodeModelJson } from '../../src/core/runs/checkpoint';
import { readComparisonFile } from '../../src/core/runs/decodeFiles';
import { readRunConfig } from '../../src/core/runs/runConfig';
import { readCalibration, readEpochs, readSummary } from '../../src/core/runs/store';
import { readSweepFile } from '../../src/core/runs/sweepStore';
import { readText } from '../../src/core/data/readBytes';

export type FuzzKind =
  | 'image'
  | 'array'
  | 'stack'
  | 'stackPages'
  | 'config'
  | 'summary'
  | 'metrics'
  | 'sweep'
  | 'comparison'
  | 'runconfig'
  | 'model'
  | 'calibration';

export interface FuzzCase {
  /** The file (or, for the run-folder kinds, the folder holding it). */
  path: string;
  kind: FuzzKind;
}

/** What a reader returned, small enough to compare with the independent reader's output. */
export interface Decoded {
  shape: number[];
  values: number[];
  maxValue?: number;
}

const decodedPage = (p: TiffPage): Decoded => ({
  shape: [p.height, p.width, p.channels],
  values: Array.from(p.data),
  maxValue: p.maxValue,
});

function run(c: FuzzCase): Decoded | Decoded[] | null {
  switch (c.kind) {
    case 'image': {
      const r = readRawImage(c.path);
      return { shape: [r.height, r.width, r.channels], values: Array.from(r.data), maxValue: r.maxValue };
    }
    case 'array': {
      const a = readArrayFile(c.path);
      return { shape: a.shape, values: Array.from(a.values), maxValue: a.maxValue };
    }
    case 'stack':
      return readTiffPages(c.path).map(decodedPage);
    case 'stackPages': {
      // Page by page, as a streamed stack dataset reads it (tiffPages.ts).
      const index = indexTiffStack(c.path);
      return index.ifds.map((_, p) => decodedPage(readStackPage(pageRef(index, p))));
    }
    case 'config':
      loadConfig(c.path);
      return null;
    case 'summary':
      readSummary(path.join(c.path, 'summary.json'));
      return null;
    case 'metrics':
      readEpochs(c.path);
      return null;
    case 'sweep':
      readSweepFile(c.path);
      return null;
    case 'comparison':
      readComparisonFile(c.path);
      return null;
    case 'runconfig':
      readRunConfig(c.path);
      return null;
    case 'model':
      decodeModelJson(readText(c.path), c.path);
      return null;
    case 'calibration':
      readCalibration(c.path);
      return null;
  }
}

/**
 * A named error: an Error SegLab made (not a TypeError or RangeError from deep inside a library), whose
 * message names the file and fits on a screen, with none of the phrases of a crash.
 */
export function isNamed(err: unknown, where: string): boolean {
  if (!(err instanceof Error)) return false;
  if (err instanceof TypeError || err instanceof RangeError || err instanceof SyntaxError || err instanceof ReferenceError) return false;
  const m = err.message;
  return (
    m.includes(where) &&
    m.length < 4000 &&
    !/Cannot read properties|of undefined|of null|is not a function|is not iterable|Maximum call stack/.test(m)
  );
}

function main(): void {
  const cases = JSON.parse(fs.readFileSync(process.argv[2], 'utf8')) as FuzzCase[];
  const from = Number(process.argv[3] ?? 0);
  const out = (o: unknown) => fs.writeSync(1, encodeJson(o, 0) + '\n');
  for (let i = from; i < cases.length; i++) {
    out({ start: i });
    try {
      out({ i, ok: true, value: run(cases[i]) });
    } catch (err) {
      const where = cases[i].path;
      out({
        i,
        ok: false,
        error: String((err as Error)?.message ?? err).slice(0, 600),
        type: (err as Error)?.constructor?.name,
        named: isNamed(err, where),
      });
    }
  }
  out({ maxRssKb: process.resourceUsage().maxRSS });
}

if (require.main === module) main();
