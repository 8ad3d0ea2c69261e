/** core/common: the metric registry agrees with the config schema and says which way is better. */
import * as assert from 'assert';
import schema from '../../schemas/experiment.schema.json';
import { isMetricKey, lowerIsBetter, metricLabel, METRICS } from '../../src/core/common/metrics';

describe('metric registry', () => {
  it('lower is better for loss, pixel error, HD and HD95; higher for the overlap scores', () => {
    assert.deepStrictEqual(Object.keys(METRICS).filter(lowerIsBetter), ['loss', 'pixelError', 'hd', 'hd95']);
    assert.strictEqual(lowerIsBetter('dice'), false);
    assert.strictEqual(lowerIsBetter('not-a-metric'), false);
    assert.strictEqual(metricLabel('pixelError'), 'pixel error');
    assert.strictEqual(metricLabel('hd95'), 'HD95');
  });

  it('every metric and monitor the config schema allows is in the registry', () => {
    const props = schema.properties as unknown as { monitor: { enum: string[] }; metrics: { items: { enum: string[] } } };
    const named = [...props.monitor.enum, ...props.metrics.items.enum];
    assert.deepStrictEqual(
      named.filter((m) => !isMetricKey(m)),
      [],
    );
  });
});
