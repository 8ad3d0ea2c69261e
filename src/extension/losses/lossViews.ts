/**
 * The losses feature's part of the dashboard: the loss explorer's curves and a run's U-Net weight
 * map, each computed by a CLI process (the extension host never runs TensorFlow.js).
 */
import * as fs from 'fs';
import * as path from 'path';
import { ViewMessage } from '../../webview/contract';
import { DashboardHost, ViewFeature } from '../host/dashboard';
import { runCliJson } from '../host/cliProcess';

export class LossViews implements ViewFeature {
  readonly handles = ['requestLossCurves', 'requestWeightMap'] as const;

  constructor(private readonly host: DashboardHost) {}

  async handle(m: ViewMessage): Promise<void> {
    if (m.type === 'requestLossCurves') {
      this.host.post({ type: 'lossCurves', curves: await runCliJson(this.host.context, ['loss-curves', '--points', '81']) });
    } else if (m.type === 'requestWeightMap') {
      const found = this.host.model.findRun(m.runId);
      if (!found) throw new Error(`no run ${m.runId}`);
      const gt = path.join(found.run.dir, 'predictions', `${m.image}_gt.png`);
      if (!fs.existsSync(gt)) throw new Error(`run ${m.runId} has no saved ground truth for ${m.image}`);
      const map = await runCliJson<{ width: number; height: number; max: number; weights: number[] }>(this.host.context, [
        'weight-map',
        '--mask',
        gt,
      ]);
      this.host.post({ type: 'weightMap', map: { title: `${m.image} (${found.run.summary?.name ?? m.runId})`, ...map } });
    }
  }
}
