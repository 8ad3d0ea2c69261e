/** Marketplace facts in package.json: what a packaged extension shows and links to exists. */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { PNG } from 'pngjs';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

describe('packaging: marketplace metadata and the walkthrough', () => {
  it('icon is a 128×128 PNG, the licence file is MIT, keywords and categories are set', () => {
    const icon = PNG.sync.read(fs.readFileSync(path.join(ROOT, pkg.icon)));
    assert.deepStrictEqual([icon.width, icon.height], [128, 128]);
    assert.strictEqual(pkg.license, 'MIT');
    assert.match(fs.readFileSync(path.join(ROOT, 'LICENSE'), 'utf8'), /^MIT License/);
    assert.ok(pkg.keywords.length >= 5 && pkg.keywords.length <= 30, 'the marketplace allows at most 30 keywords');
    assert.ok(pkg.categories.includes('Machine Learning'));
    assert.doesNotMatch(pkg.scripts.package, /--skip-license/);
  });

  it('every walkthrough step opens a contributed command, completes on it, and has its markdown', () => {
    const commands = new Set(pkg.contributes.commands.map((c: { command: string }) => c.command));
    const [walkthrough] = pkg.contributes.walkthroughs;
    const steps = walkthrough.steps as { id: string; description: string; media: { markdown: string }; completionEvents: string[] }[];
    assert.deepStrictEqual(
      steps.map((s) => s.id),
      ['config', 'compare', 'dashboard', 'evaluate'],
    );
    for (const s of steps) {
      const linked = /\(command:([\w.]+)\)/.exec(s.description)?.[1];
      assert.ok(linked && commands.has(linked), `${s.id}: links a contributed command (${linked})`);
      assert.deepStrictEqual(s.completionEvents, [`onCommand:${linked}`]);
      assert.ok(fs.existsSync(path.join(ROOT, s.media.markdown)), s.media.markdown);
    }
    const ignored = fs.readFileSync(path.join(ROOT, '.vscodeignore'), 'utf8').split('\n');
    assert.ok(!ignored.some((l) => /^media\b/.test(l)), 'media/ ships in the .vsix');
  });
});
