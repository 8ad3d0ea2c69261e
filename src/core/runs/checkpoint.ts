/**
 * Model checkpoints in the TensorFlow.js layers format (model.json + weights.bin), written through a
 * custom save handler so no tfjs-node file:// handler is needed, and atomically.
 */
import * as tf from '@tensorflow/tfjs';
import * as fs from 'fs';
import * as path from 'path';
import '../model'; // registers SegLab's custom layers for deserialisation
import { decodeJson } from '../common/json';
import { readBytes, readText } from '../data/readBytes';
import { makeDirs, writeFileAtomic } from './atomicWrite';
import { settleReplacedFolders } from './store';

/**
 * Saves model.json + weights.bin as a pair: both are written into a new folder beside `dir`, which then
 * replaces `dir` (the old folder is renamed aside first and removed after). A crash leaves either the
 * old pair or the new one, never a model.json with another save's weights; between the two renames
 * only the aside copy exists, which `restoreCheckpoint` puts back.
 */
export async function saveCheckpoint(model: tf.LayersModel, dir: string): Promise<void> {
  restoreCheckpoint(dir);
  const fresh = `${dir}.new-${process.pid}`;
  const aside = `${dir}.old-${process.pid}`;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weightData = artifacts.weightData as ArrayBuffer;
      fs.rmSync(fresh, { recursive: true, force: true });
      makeDirs(fresh);
      try {
        writeFileAtomic(path.join(fresh, 'weights.bin'), new Uint8Array(weightData));
        const modelJson = {
          format: 'layers-model',
          generatedBy: 'SegLab',
          convertedBy: null,
          modelTopology: artifacts.modelTopology,
          weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
        };
        writeFileAtomic(path.join(fresh, 'model.json'), JSON.stringify(modelJson));
      } catch (err) {
        fs.rmSync(fresh, { recursive: true, force: true }); // a full disk leaves no half pair behind
        throw err;
      }
      if (fs.existsSync(dir)) fs.renameSync(dir, aside);
      fs.renameSync(fresh, dir);
      fs.rmSync(aside, { recursive: true, force: true });
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: weightData.byteLength } };
    }),
  );
}

/**
 * After a crash between saveCheckpoint's two renames `dir` is missing and `<dir>.old-<pid>` holds the
 * previous pair: moves it back; half-written `<dir>.new-<pid>` folders are removed.
 */
export function restoreCheckpoint(dir: string): void {
  settleReplacedFolders(path.dirname(dir));
}

interface ModelJson {
  modelTopology: object;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1 };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** One weight entry of the manifest, checked; its byte size. */
function weightBytes(w: unknown, where: string): number {
  if (!isRecord(w) || typeof w.name !== 'string') throw new Error(`${where}: a weight entry without a name`);
  const shape = w.shape;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0))
    throw new Error(`${where}: weight '${w.name}' has no valid shape`);
  const size = typeof w.dtype === 'string' ? DTYPE_BYTES[w.dtype] : undefined;
  if (size === undefined || 'quantization' in w) throw new Error(`${where}: weight '${w.name}' has an unsupported dtype`);
  return (shape as number[]).reduce((a, b) => a * b, size);
}

/** model.json decoded and checked field by field; returns it with the weights' total byte size. */
export function decodeModelJson(text: string, file: string): { json: ModelJson; bytes: number } {
  let raw: unknown;
  try {
    raw = decodeJson(text);
  } catch (err) {
    throw new Error(`${file}: not valid JSON (${(err as Error).message})`);
  }
  if (!isRecord(raw) || !isRecord(raw.modelTopology)) throw new Error(`${file}: not a TensorFlow.js layers model (no modelTopology)`);
  const manifest = raw.weightsManifest;
  if (!Array.isArray(manifest) || manifest.length === 0) throw new Error(`${file}: no weightsManifest`);
  let bytes = 0;
  for (const group of manifest) {
    if (!isRecord(group) || !Array.isArray(group.paths) || !Array.isArray(group.weights))
      throw new Error(`${file}: a damaged weightsManifest group`);
    for (const p of group.paths)
      if (typeof p !== 'string' || p === '' || p !== path.basename(p) || p === '..' || p === '.')
        throw new Error(`${file}: weight file ${JSON.stringify(String(p).slice(0, 80))} is not a file name in the checkpoint folder`);
    for (const w of group.weights) bytes += weightBytes(w, file);
  }
  return { json: raw as unknown as ModelJson, bytes };
}

export async function loadCheckpoint(dir: string): Promise<tf.LayersModel> {
  restoreCheckpoint(dir);
  const modelFile = path.join(dir, 'model.json');
  const { json, bytes } = decodeModelJson(readText(modelFile), modelFile);
  const parts = json.weightsManifest.flatMap((g) => g.paths).map((p) => readBytes(path.join(dir, p), bytes + 1));
  const weights = Buffer.concat(parts);
  if (weights.length !== bytes) {
    const names = json.weightsManifest.flatMap((g) => g.paths).join(', ');
    throw new Error(
      `${path.join(dir, names)}: ${weights.length} bytes of weights, but ` +
        `model.json's manifest needs ${bytes} (truncated or from another model)`,
    );
  }
  const weightData = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength);
  const weightSpecs = json.weightsManifest.flatMap((g) => g.weights);
  try {
    return await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs, weightData }));
  } catch (err) {
    throw new Error(`${modelFile}: the checkpoint does not load (${String((err as Error).message).slice(0, 300)})`);
  }
}
