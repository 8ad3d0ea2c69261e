/**
 * The runs feature's part of the dashboard: Overlays of runs' saved validation predictions (the last
 * epoch's or a snapshot's), several runs over one image, and the loss map of a loss over the final
 * predictions (`seglab loss-map` in a CLI process: the extension host never runs TensorFlow.js).
 */
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { decodeJson } from '../../core/common/json';
import { asBinaryMask, asPredictionValues, readArrayFile, spatialShape } from '../../core/data/arrayFile';
import type { RunInfo } from '../../core/runs/store';
import { LossMapLayer, LossMapView, OverlayView, ViewMessage } from '../../webview/contract';
import { runCliJson } from '../host/cliProcess';
import { DashboardHost, ViewFeature } from '../host/dashboard';
import { displayScale, overlayForDisplay, reduceBlocks, snapshotFile } from '../host/views';

/** The runs and image (and epoch) of an overlay the webview asked for. */
export interface OverlayRequest {
  readonly runIds: readonly string[];
  readonly image: string;
  readonly epoch?: number;
}

export class RunOverlays implements ViewFeature {
  readonly handles = ['requestRunOverlay', 'requestLossMap'] as const;
  private readonly requested = new vscode.EventEmitter<OverlayRequest>();
  /** The webview asked for the overlay of these runs and image (and epoch): what Overlays shows. */
  readonly onDidRequestOverlay = this.requested.event;

  constructor(private readonly host: DashboardHost) {}

  async handle(m: ViewMessage): Promise<void> {
    if (m.type === 'requestLossMap') {
      this.host.post({ type: 'lossMap', map: await this.lossMap(m.runIds, m.image, m.loss) });
      return;
    }
    if (m.type !== 'requestRunOverlay') return;
    this.requested.fire({ runIds: [...m.runIds], image: m.image, ...(m.epoch !== undefined ? { epoch: m.epoch } : {}) });
    this.host.post({ type: 'overlay', overlay: this.runOverlay(m.runIds, m.image, m.epoch) });
  }

  dispose(): void {
    this.requested.dispose();
  }

  private runsOf(runIds: readonly string[]): RunInfo[] {
    return runIds.map((id) => {
      const found = this.host.model.findRun(id);
      if (!found) throw new Error(`no run ${id}`);
      return found.run;
    });
  }

  /**
   * Each run's loss map over its final prediction of `image`, at the overlay's display scale (each
   * f×f block the mean of its pixels' values, as the overlay reduces the image).
   */
  private async lossMap(runIds: string[], image: string, loss: string): Promise<LossMapView> {
    const runs = this.runsOf(runIds);
    let size = { width: 0, height: 0 };
    const layers: LossMapLayer[] = [];
    for (const run of runs) {
      const file = (kind: string) => path.join(run.dir, 'predictions', `${image}_${kind}.png`);
      const out = await runCliJson<{
        width: number;
        height: number;
        value: number;
        pixelLoss: number[] | null;
        noPixelLoss?: string;
        gradient: number[];
      }>(this.host.context, ['loss-map', `--pred=${file('prob')}`, `--target=${file('gt')}`, `--loss=${loss}`, '--json']);
      const f = displayScale(out.width, out.height);
      const reduce = (values: number[]) => (f === 1 ? values : reduceBlocks(values, out.width, out.height, f, 'mean'));
      size = { width: Math.ceil(out.width / f), height: Math.ceil(out.height / f) };
      layers.push({
        label: run.summary ? `${run.summary.head} (${run.summary.name})` : run.id,
        value: out.value,
        pixelLoss: out.pixelLoss ? reduce(out.pixelLoss) : null,
        ...(out.noPixelLoss ? { noPixelLoss: out.noPixelLoss } : {}),
        gradient: reduce(out.gradient),
      });
    }
    return { runIds, image, loss, ...size, layers };
  }

  private runOverlay(runIds: string[], image: string, epoch?: number): OverlayView {
    const runs = this.runsOf(runIds);
    const file = (run: RunInfo, kind: string) => path.join(run.dir, 'predictions', `${image}_${kind}.png`);
    const base = readArrayFile(file(runs[0], 'image'));
    const [height, width] = spatialShape(base);
    const gt = asBinaryMask(readArrayFile(file(runs[0], 'gt')));
    return overlayForDisplay({
      title: epoch === undefined ? image : `${image} at epoch ${epoch}`,
      source: { runIds, image, ...configLoss(runs[0]) },
      width,
      height,
      image: Array.from(base.values),
      gt: Array.from(gt),
      layers: runs.map((run) => {
        const label = run.summary ? `${run.summary.head} (${run.summary.name})` : run.id;
        if (epoch === undefined) return { label, prob: Array.from(asPredictionValues(readArrayFile(file(run, 'prob')))) };
        const snap = snapshotFile(run.dir, image, epoch);
        if (!fs.existsSync(snap)) throw new Error(`run ${run.id} saved no prediction of ${image} at epoch ${epoch}`);
        const prob = readArrayFile(snap);
        const [h, w] = spatialShape(prob);
        const values = asPredictionValues(prob);
        // Snapshots of large images are subsampled by an integer factor f (trainer.ts): each pixel back to f×f.
        const f = Math.ceil(Math.max(width / w, height / h));
        if (Math.ceil(width / f) !== w || Math.ceil(height / f) !== h)
          throw new Error(`${snap}: ${w}×${h} does not fit the ${width}×${height} image`);
        const full = new Array<number>(width * height);
        for (let y = 0; y < height; y++)
          for (let x = 0; x < width; x++) full[y * width + x] = values[Math.floor(y / f) * w + Math.floor(x / f)];
        return { label, prob: full };
      }),
    });
  }
}

/** The loss a run's config.json writes (`"loss": "bce+dice"` or `{"name": …}`), before the head's mapping. */
function configLoss(run: RunInfo): { loss?: string } {
  try {
    const c = decodeJson(fs.readFileSync(path.join(run.dir, 'config.json'), 'utf8')) as { loss?: unknown };
    const loss = typeof c.loss === 'object' && c.loss !== null ? (c.loss as { name?: unknown }).name : c.loss;
    return typeof loss === 'string' ? { loss } : {};
  } catch {
    return {}; // no readable config: the loss box starts empty
  }
}
