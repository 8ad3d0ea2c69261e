/**
 * The on-disk run format. `runs/<id>/` holds:
 *   config.json            the resolved config (plus derived facts: loss per head, normalisation)
 *   metrics.jsonl          one JSON line per epoch
 *   dvc.yaml, params.yaml, metrics.json, plots/metrics/{train,val}/<name>.tsv, plots/images/
 *                          the same values as DVCLive writes them (dvclive.ts), for DVC's tools
 *   events.out.tfevents.*  the same scalars and the validation probability maps for TensorBoard
 *                          (tensorboard.ts)
 *   summary.json           status, reason, backend, best epoch, final/best metrics, durations
 *   calibration.json       the reliability diagram of the last validation (calibrationFile.ts)
 *   checkpoints/{last,best}/model.json + weights.bin   TensorFlow.js layers format
 *   predictions/<image>_{image,gt,prob,mask}.png       a few validation images
 * Every file is written atomically (temp file + rename), the event file appended by whole records: a
 * killed run never leaves half a file.
 *
 * The code is split by job: runFiles.ts (types and reading), runWriter.ts (writing), lifecycle.ts (a
 * run whose process is gone: listing, settling, cleanup), deletion.ts (guarded deletion), reserve.ts
 * (the disk-full reserve). This module is their common entry point.
 */
export * from './calibrationFile';
export * from './deletion';
export * from './lifecycle';
export * from './reserve';
export * from './runFiles';
export * from './runWriter';
