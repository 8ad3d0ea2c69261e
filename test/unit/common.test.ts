/** core/common: the metric registry agrees with the config schema and says which way is better. */
import * as assert from 'assert';
import schema from '../../schemas/experiment.schema.json';
import { betterArrow, formatMetric, isMetricKey, lowerIsBetter, metricLabel, METRICS } from '../../src/core/common/metrics';

describe('metric registry', () => {
  it('lower is better for loss, pixel error, HD, HD95, ASSD, Betti errors, ECE and Brier; higher for overlap scores, NSD, V_Rand, V_Info', () => {
    assert.deepStrictEqual(Object.keys(METRICS).filter(lowerIsBetter), [
      'loss',
      'pixelError',
      'hd',
      'hd95',
      'assd',
      'betti0Error',
      'betti1Error',
      'ece',
      'brier',
    ]);
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

  it('formats values for people with the registry digits, ∞ and NaN by name', () => {
    assert.strictEqual(formatMetric('dice', 0.79153), '0.792');
    assert.strictEqual(formatMetric('pixelError', 0.098912), '0.0989');
    assert.strictEqual(formatMetric('hd95', 21.0456), '21.05');
    assert.strictEqual(formatMetric('hd95', Infinity), '∞');
    assert.strictEqual(formatMetric('loss', -Infinity), '−∞');
    assert.strictEqual(formatMetric('dice', NaN), 'NaN');
    assert.strictEqual(formatMetric('dice', null), '—');
    assert.strictEqual(formatMetric('unknown', 1 / 3), '0.3333');
    assert.deepStrictEqual(['dice', 'hd95', 'loss', 'iou'].map(betterArrow), ['↑', '↓', '↓', '↑']);
  });
});
