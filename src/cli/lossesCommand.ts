/** `seglab losses`: every applicable loss (or the chosen ones) on a saved prediction and its target. */
import { BACKEND_CHOICES } from '../core/backend/names';
import * as fs from 'fs';
import { initBackend } from '../core/backend/backend';
import { pairFolders } from '../core/data/pairs';
import { loadLossData, LossFileOptions } from '../core/losses/lossFiles';
import { readArrayFile } from '../core/data/arrayFile';
import { computeLoss } from '../core/losses/compute';
import { lossDefinitions, lossTermDefinitions } from '../core/losses/registry';
import { LOSS_MODES, LossMode } from '../core/losses/types';
import { encodeJson } from '../core/common/json';
import { lossLibrary, lossLibraryLines } from '../core/losses/library';
import { didYouMean, shown } from '../core/common/suggest';
import { choiceValue, keyValues, numberValue, parseCommand, requireValue, UsageError } from './args';
import { formatNumber, table } from './format';

export const LOSSES_USAGE = `usage: seglab losses --pred P --target T [--from-logits] [--mode binary|multiclass|multilabel]
                     [--loss NAME ...] [--set KEY=VALUE ...] [--weights W] [--foreground V]
                     [--channels-first] [--backend ${BACKEND_CHOICES.join('|')}] [--json]
       seglab losses --list [--json]
  --list: every loss with its modes, reference and option defaults, then the smp/MONAI names.
  P, T: .npy (float32/float64/integer) or PNG (8/16-bit). .npy layout: [H,W], [H,W,C] or [N,H,W,C]
  (--channels-first: [C,H,W] / [N,C,H,W]). --loss takes a name or a compound such as "bce+dice".
  --set applies an option to every chosen loss that has it, or to one with NAME.KEY.
  P and T may be folders: files are paired by name (a.png with a.npy), each pair gets every loss,
  and the mean over files is shown (--weights is then not available).`;

export async function lossesCommand(argv: string[], write: (s: string) => void): Promise<number> {
  const { values } = parseCommand(
    argv,
    {
      pred: { type: 'string' },
      target: { type: 'string' },
      'from-logits': { type: 'boolean' },
      mode: { type: 'string' },
      loss: { type: 'string', multiple: true },
      set: { type: 'string', multiple: true },
      weights: { type: 'string' },
      foreground: { type: 'string' },
      'channels-first': { type: 'boolean' },
      backend: { type: 'string' },
      json: { type: 'boolean' },
      list: { type: 'boolean' },
    },
    LOSSES_USAGE,
  );
  if (values.list) {
    write(values.json ? encodeJson(lossLibrary()) + '\n' : lossLibraryLines().join('\n') + '\n');
    return 0;
  }
  const predFile = requireValue(values.pred, 'pred', LOSSES_USAGE);
  const targetFile = requireValue(values.target, 'target', LOSSES_USAGE);
  const mode = choiceValue(values.mode, 'mode', LOSS_MODES);
  const settings = keyValues(values.set);
  const backend = await initBackend(values.backend);
  const fileOptions = {
    mode,
    fromLogits: Boolean(values['from-logits']),
    channelsFirst: Boolean(values['channels-first']),
    foreground: numberValue(values.foreground, 'foreground'),
  };
  if (isDirectory(predFile) || isDirectory(targetFile)) {
    if (!isDirectory(predFile) || !isDirectory(targetFile))
      throw new UsageError(
        `--pred and --target must both be files or both be folders (${isDirectory(predFile) ? targetFile : predFile} is not a folder)`,
      );
    if (values.weights) throw new UsageError('--weights takes one file; it is not available with folders');
    return folderLosses(predFile, targetFile, fileOptions, values.loss, settings, backend.name, Boolean(values.json), write);
  }
  const data = loadLossData(predFile, targetFile, fileOptions);
  const weightsFile = values.weights;
  const weights = weightsFile ? Float32Array.from(readArrayFile(weightsFile).values) : undefined;

  const chosen = values.loss ?? applicableLosses(data.mode, weights !== undefined);
  if (chosen.length > 1) checkSettingsUsed(settings, chosen);
  const rows: { name: string; value: number; options: Record<string, unknown> }[] = [];
  for (const name of chosen) {
    const options = optionsFor(name, settings, chosen.length > 1);
    if (weights && lossTermDefinitions(name).some((d) => Object.hasOwn(d.options, 'weights'))) options.weights = weights;
    rows.push({ name, value: computeLoss(name, data, options), options: { ...options, weights: weights ? weightsFile : undefined } });
  }
  writeFileLosses({ predFile, targetFile, data, backend: backend.name, rows, json: Boolean(values.json) }, write);
  return 0;
}

interface FileLossRows {
  predFile: string;
  targetFile: string;
  data: ReturnType<typeof loadLossData>;
  backend: string;
  rows: { name: string; value: number; options: Record<string, unknown> }[];
  json: boolean;
}

/** The losses of one prediction/target pair: JSON, or a table with a warning for non-finite values. */
function writeFileLosses({ predFile, targetFile, data, backend, rows, json }: FileLossRows, write: (s: string) => void): void {
  if (json) {
    write(
      encodeJson({
        pred: predFile,
        target: targetFile,
        shape: data.shape,
        mode: data.mode,
        fromLogits: data.fromLogits,
        backend,
        losses: rows,
      }) + '\n',
    );
    return;
  }
  const [n, h, w, c] = data.shape;
  write(
    `${predFile} vs ${targetFile}: ${n}×${h}×${w}×${c}, ${data.mode}, ` +
      `${data.fromLogits ? 'logits' : 'probabilities'}, backend ${backend}\n`,
  );
  write(
    table(
      ['loss', 'value'],
      rows.map((r) => [r.name, r.value]),
    ) + '\n',
  );
  const bad = rows.filter((r) => !Number.isFinite(r.value));
  if (bad.length) write(`warning: non-finite loss: ${bad.map((r) => `${r.name} = ${formatNumber(r.value)}`).join(', ')}\n`);
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Every chosen loss for each prediction/target pair of two folders, and the mean over files. */
function folderLosses(
  predDir: string,
  targetDir: string,
  fileOptions: LossFileOptions,
  requested: string[] | undefined,
  settings: Record<string, unknown>,
  backend: string,
  json: boolean,
  write: (s: string) => void,
): number {
  const pairs = pairFolders(predDir, targetDir, ['.png', '.npy'], { a: 'prediction', b: 'target' });
  let chosen: string[] = requested ?? [];
  const files: {
    name: string;
    pred: string;
    target: string;
    shape: readonly number[];
    mode: LossMode;
    losses: { name: string; value: number }[];
  }[] = [];
  for (const pair of pairs) {
    const data = loadLossData(pair.a, pair.b, fileOptions);
    if (files.length === 0) {
      if (!requested) chosen = applicableLosses(data.mode, false);
      if (chosen.length > 1) checkSettingsUsed(settings, chosen);
    }
    if (files.length > 0 && files[0].mode !== data.mode) {
      throw new Error(`${pair.a}: mode ${data.mode} differs from ${files[0].pred} (${files[0].mode}); give --mode`);
    }
    const losses = chosen.map((name) => ({ name, value: computeLoss(name, data, optionsFor(name, settings, chosen.length > 1)) }));
    files.push({ name: pair.name, pred: pair.a, target: pair.b, shape: data.shape, mode: data.mode, losses });
  }
  const names = chosen;
  const mean = names.map((name, k) => ({ name, value: files.reduce((a, f) => a + f.losses[k].value, 0) / files.length }));
  if (json) {
    write(
      encodeJson({
        pred: predDir,
        target: targetDir,
        mode: files[0].mode,
        fromLogits: Boolean(fileOptions.fromLogits),
        backend,
        files,
        mean,
      }) + '\n',
    );
    return 0;
  }
  write(
    `${predDir} vs ${targetDir}: ${files.length} pairs, ${files[0].mode}, ` +
      `${fileOptions.fromLogits ? 'logits' : 'probabilities'}, backend ${backend}\n`,
  );
  write(
    table(['file', ...names], [...files.map((f) => [f.name, ...f.losses.map((l) => l.value)]), ['mean', ...mean.map((m) => m.value)]]) +
      '\n',
  );
  return 0;
}

function applicableLosses(mode: LossMode, haveWeights: boolean): string[] {
  return lossDefinitions()
    .filter((d) => d.modes.includes(mode))
    .filter((d) => haveWeights || !(d.requires ?? []).includes('weights'))
    .map((d) => d.name);
}

/**
 * Options for one loss from the --set pairs: "loss.key" for that loss; a plain key for every loss
 * that has the option. A plain key that no chosen loss takes is an error.
 */
function optionsFor(name: string, settings: Record<string, unknown>, several: boolean): Record<string, unknown> {
  const definitions = lossTermDefinitions(name);
  const out = Object.create(null) as Record<string, unknown>;
  for (const [key, value] of Object.entries(settings)) {
    const dot = key.indexOf('.');
    if (dot > 0) {
      if (key.slice(0, dot) === name) out[key.slice(dot + 1)] = value;
      else if (definitions.length > 1 && definitions.some((d) => d.name === key.slice(0, dot))) out[key] = value;
      continue;
    }
    const takes = definitions.some((d) => Object.hasOwn(d.options, key));
    if (takes || !several) out[key] = value;
  }
  return out;
}

/** With several losses, every --set key must reach at least one of them (catches typos). */
function checkSettingsUsed(settings: Record<string, unknown>, chosen: string[]): void {
  const definitions = chosen.flatMap((name) => lossTermDefinitions(name));
  const known = definitions.flatMap((d) => Object.keys(d.options).flatMap((k) => [k, `${d.name}.${k}`]));
  for (const key of Object.keys(settings)) {
    const dot = key.indexOf('.');
    const owner = dot > 0 ? key.slice(0, dot) : undefined;
    const plain = dot > 0 ? key.slice(dot + 1) : key;
    const used = definitions.some((d) => (owner === undefined || d.name === owner) && Object.hasOwn(d.options, plain));
    if (!used) throw new UsageError(`--set ${shown(key)}: no chosen loss has this option.${didYouMean(key, known)}`);
  }
}
