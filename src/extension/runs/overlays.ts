/**
 * The runs feature's part of the dashboard: Overlays of runs' saved validation predictions (the last
 * epoch's or a snapshot's), several runs over one image.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { asBinaryMask, asPredictionValues, readArrayFile, spatialShape } from '../../core/data/arrayFile';
import type { RunInfo } from '../../core/runs/store';
import { OverlayView, ViewMessage } from '../../webview/contract';
import { DashboardHost, ViewFeature } from '../host/dashboard';
import { overlayForDisplay, snapshotFile } from '../host/views';

/** The runs and image (and epoch) of an overlay the webview asked for. */
export interface OverlayRequest {
  readonly runIds: readonly string[];
  readonly image: string;
  readonly epoch?: number;
}

export class RunOverlays implements ViewFeature {
  readonly handles = ['requestRunOverlay'] as const;
  private readonly requested = new vscode.EventEmitter<OverlayRequest>();
  /** The webview asked for the overlay of these runs and image (and epoch): what Overlays shows. */
  readonly onDidRequestOverlay = this.requested.event;

  constructor(private readonly host: DashboardHost) {}

  handle(m: ViewMessage): void {
    if (m.type !== 'requestRunOverlay') return;
    this.requested.fire({ runIds: [...m.runIds], image: m.image, ...(m.epoch !== undefined ? { epoch: m.epoch } : {}) });
    this.host.post({ type: 'overlay', overlay: this.runOverlay(m.runIds, m.image, m.epoch) });
  }

  dispose(): void {
    this.requested.dispose();
  }

  private runOverlay(runIds: string[], image: string, epoch?: number): OverlayView {
    const runs = runIds.map((id) => {
      const found = this.host.model.findRun(id);
      if (!found) throw new Error(`no run ${id}`);
      return found.run;
    });
    const file = (run: RunInfo, kind: string) => path.join(run.dir, 'predictions', `${image}_${kind}.png`);
    const base = readArrayFile(file(runs[0], 'image'));
    const [height, width] = spatialShape(base);
    const gt = asBinaryMask(readArrayFile(file(runs[0], 'gt')));
    return overlayForDisplay({
      title: epoch === undefined ? image : `${image} at epoch ${epoch}`,
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
