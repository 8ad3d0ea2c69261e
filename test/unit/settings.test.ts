/** The extension's settings as typed values: what settings.json can hold is checked, never trusted. */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { checkSettings, DEFAULT_SETTINGS } from '../../src/extension/host/settingValues';
import { ROOT } from './helpers';

describe('settings', () => {
  it('valid values pass through; unset ones take the defaults', () => {
    const raw: Record<string, unknown> = { defaultThreshold: 0.3, maxParallelRuns: 4, backend: 'wasm', runsFolder: ' out/runs ' };
    const { settings, problems } = checkSettings((k) => raw[k]);
    assert.deepStrictEqual(problems, []);
    assert.deepStrictEqual(settings, {
      backend: 'wasm',
      runsFolder: 'out/runs',
      defaultThreshold: 0.3,
      maxParallelRuns: 4,
      tfjsNodePath: '',
      webgpuPath: '',
    });
  });

  it('a wrong type or range (e.g. markup as defaultThreshold) falls back to the default, named in a message', () => {
    const raw: Record<string, unknown> = {
      defaultThreshold: '"><script>alert(1)</script>',
      maxParallelRuns: 0,
      backend: 'gpu',
      runsFolder: 7,
    };
    const { settings, problems } = checkSettings((k) => raw[k]);
    assert.deepStrictEqual(settings, DEFAULT_SETTINGS);
    assert.deepStrictEqual(problems, [
      'seglab.backend: "gpu" is not one of auto, webgpu, tensorflow, wasm, cpu; using "auto"',
      'seglab.runsFolder: 7 is not a string; using ""',
      'seglab.defaultThreshold: "\\"><script>alert(1)</script>" is not a number in [0, 1]; using 0.5',
      'seglab.maxParallelRuns: 0 is not an integer in [1, 32]; using 2',
    ]);
    assert.match(checkSettings(() => 1.5).problems.join('\n'), /seglab\.defaultThreshold: 1\.5 is not a number in \[0, 1\]/);
  });

  it('package.json restricts the settings that point at files or reach the webview in untrusted workspaces', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    const restricted: string[] = pkg.capabilities.untrustedWorkspaces.restrictedConfigurations;
    assert.deepStrictEqual(restricted.sort(), ['seglab.defaultThreshold', 'seglab.runsFolder', 'seglab.tfjsNodePath', 'seglab.webgpuPath']);
    const properties = pkg.contributes.configuration.properties;
    assert.deepStrictEqual([properties['seglab.defaultThreshold'].minimum, properties['seglab.defaultThreshold'].maximum], [0, 1]);
  });
});
