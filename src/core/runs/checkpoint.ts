/**
 * Model checkpoints in the TensorFlow.js layers format (model.json + weights.bin), written through a
 * custom save handler so no tfjs-node file:// handler is needed, and atomically.
 */
import * as tf from '@tensorflow/tfjs';
import * as fs from 'fs';
import * as path from 'path';
import '../model'; // registers SegLab's custom layers for deserialisation
import { writeFileAtomic } from './atomicWrite';
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
      fs.mkdirSync(fresh, { recursive: true });
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

export async function loadCheckpoint(dir: string): Promise<tf.LayersModel> {
  restoreCheckpoint(dir);
  const modelFile = path.join(dir, 'model.json');
  let json: { modelTopology: object; weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[] };
  try {
    json = JSON.parse(fs.readFileSync(modelFile, 'utf8'));
  } catch (err) {
    throw new Error(`${modelFile}: cannot read the checkpoint (${(err as Error).message})`);
  }
  const weights = fs.readFileSync(path.join(dir, json.weightsManifest[0].paths[0]));
  const weightData = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength);
  return tf.loadLayersModel(
    tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData }),
  );
}
