/**
 * The evaluation feature's part of the dashboard: the table of a mask-folder evaluation and the
 * overlay of one evaluated image (the ground truth as backdrop: the folders hold masks).
 */
import { asBinaryMask, asPredictionValues, readArrayFile, spatialShape } from '../../core/data/arrayFile';
import { FolderEvaluation } from '../../core/metrics/evaluateFolders';
import { OverlayView, ViewMessage } from '../../webview/contract';
import { DashboardHost, ViewFeature } from '../host/dashboard';
import { evaluationView, overlayForDisplay } from '../host/views';

export class EvaluationView implements ViewFeature {
  readonly handles = ['requestEvaluationOverlay'] as const;
  private evaluation: FolderEvaluation | undefined;

  constructor(private readonly host: DashboardHost) {}

  /** Opens the Evaluation view on a folder evaluation. */
  show(result: FolderEvaluation): void {
    this.evaluation = result;
    this.host.open('evaluation');
    this.host.post({ type: 'evaluation', evaluation: evaluationView(result) });
  }

  handle(m: ViewMessage): void {
    if (m.type === 'requestEvaluationOverlay') this.host.post({ type: 'overlay', overlay: this.evaluationOverlay(m.index) });
  }

  private evaluationOverlay(index: number): OverlayView {
    const e = this.evaluation;
    if (!e || index >= e.images.length) throw new Error('no such evaluated image');
    const row = e.images[index];
    const pred = readArrayFile(row.pred);
    const [height, width] = spatialShape(pred);
    const gt = asBinaryMask(readArrayFile(row.gt), e.options.foreground);
    // The evaluated folders hold masks, not photographs: the ground truth doubles as the backdrop.
    return overlayForDisplay({
      title: row.name,
      width,
      height,
      image: Array.from(gt, (v) => (v ? 200 : 40)),
      gt: Array.from(gt),
      layers: [{ label: 'prediction', prob: Array.from(asPredictionValues(pred)) }],
    });
  }
}
