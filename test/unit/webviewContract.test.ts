/** Messages from the webview are validated before the extension acts on them. */
import * as assert from 'assert';
import { parseViewMessage } from '../../src/webview/contract';

describe('webview message validation', () => {
  it('accepts the known messages', () => {
    assert.deepStrictEqual(parseViewMessage({ type: 'ready' }), { type: 'ready' });
    assert.deepStrictEqual(parseViewMessage({ type: 'requestRunOverlay', runIds: ['20261123-run-a', 'b'], image: 'shape-002', extra: 1 }), {
      type: 'requestRunOverlay',
      runIds: ['20261123-run-a', 'b'],
      image: 'shape-002',
    });
    assert.deepStrictEqual(parseViewMessage({ type: 'requestEvaluationOverlay', index: 3 }), {
      type: 'requestEvaluationOverlay',
      index: 3,
    });
  });

  it('rejects paths, wrong types and unknown messages, saying why', () => {
    assert.strictEqual(
      parseViewMessage({ type: 'requestRunOverlay', runIds: ['../../etc'], image: 'x' }),
      'requestRunOverlay: runIds must be 1 or 2 run ids',
    );
    assert.strictEqual(
      parseViewMessage({ type: 'requestRunOverlay', runIds: ['a'], image: '/etc/passwd' }),
      'requestRunOverlay: image must be an image name',
    );
    assert.strictEqual(
      parseViewMessage({ type: 'requestRunOverlay', runIds: ['a', 'b', 'c'], image: 'x' }),
      'requestRunOverlay: runIds must be 1 or 2 run ids',
    );
    assert.strictEqual(
      parseViewMessage({ type: 'requestEvaluationOverlay', index: -1 }),
      'requestEvaluationOverlay: index must be a non-negative integer',
    );
    assert.strictEqual(
      parseViewMessage({ type: 'requestEvaluationOverlay', index: '2' }),
      'requestEvaluationOverlay: index must be a non-negative integer',
    );
    assert.strictEqual(parseViewMessage({ type: 'readFile', path: '/etc/passwd' }), "unknown message type 'readFile'");
    assert.strictEqual(parseViewMessage('ready'), 'message must be an object with a string type');
  });
});
