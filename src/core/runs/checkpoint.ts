/**
 * Model checkpoints in the TensorFlow.js layers format (model.json + weights.bin), written through a
 * custom save handler so no tfjs-node file:// handler is needed, and atomically.
 */
import * as tf from '@tensorflow/tfjs';
import * as fs from 'fs';
import * as path from 'path';
import '../model'; // registers SegLab's custom layers for deserialisation
import { writeFileAtomic } from './atomicWrite';

export async function saveCheckpoint(model: tf.LayersModel, dir: string): Promise<void> {
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weightData = artifacts.weightData as ArrayBuffer;
      fs.mkdirSync(dir, { recursive: true });
      writeFileAtomic(path.join(dir, 'weights.bin'), new Uint8Array(weightData));
      const modelJson = {
        format: 'layers-model',
        generatedBy: 'SegLab',
        convertedBy: null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
      };
      writeFileAtomic(path.join(dir, 'model.json'), JSON.stringify(modelJson));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: weightData.byteLength } };
    }),
  );
}

export async function loadCheckpoint(dir: string): Promise<tf.LayersModel> {
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
