/**
 * The import graph of src/: no cycles between files, none between folders, and the layers of
 * ARCHITECTURE.md (core below engine and cli, extension above them, the webview on its own).
 * Relative imports only; packages are outside the graph.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';

const SRC = path.resolve(__dirname, '..', '..', '..', 'src');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** Relative module specifiers of a file (import/export from, dynamic import, require), type-only included. */
function specifiers(text: string): string[] {
  const out: string[] = [];
  const re = /(?:from\s+|import\s*\(\s*|require\s*\(\s*|^import\s+)['"](\.[^'"]+)['"]/gm;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push(m[1]);
  return out;
}

function resolve(from: string, spec: string): string | null {
  const base = path.resolve(path.dirname(from), spec);
  for (const candidate of [base, `${base}.ts`, path.join(base, 'index.ts')]) {
    if (candidate.endsWith('.ts') && fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return candidate;
  }
  return null; // JSON, CSS and other assets
}

/** Strongly connected components with more than one node (Tarjan). */
function cycles(graph: Map<string, Set<string>>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1) out.push(comp.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

const files = sourceFiles(SRC);
const fileGraph = new Map<string, Set<string>>();
for (const f of files) {
  const deps = specifiers(fs.readFileSync(f, 'utf8'))
    .map((s) => resolve(f, s))
    .filter((d): d is string => d !== null);
  fileGraph.set(path.relative(SRC, f), new Set(deps.map((d) => path.relative(SRC, d))));
}
const folderOf = (file: string) => path.dirname(file);
const folderGraph = new Map<string, Set<string>>();
for (const [f, deps] of fileGraph) {
  const from = folderOf(f);
  if (!folderGraph.has(from)) folderGraph.set(from, new Set());
  for (const d of deps) if (folderOf(d) !== from) folderGraph.get(from)!.add(folderOf(d));
}

describe('architecture: the import graph of src/', () => {
  it('reads the graph (sanity: every source file, and the engine imports the trainer)', () => {
    assert.ok(files.length > 50, `${files.length} files`);
    assert.ok(folderGraph.get('engine')?.has('core/train'), JSON.stringify([...(folderGraph.get('engine') ?? [])]));
  });

  it('has no import cycle between files', () => {
    assert.deepStrictEqual(cycles(fileGraph), []);
  });

  it('has no import cycle between folders', () => {
    const found = cycles(folderGraph).map((c) =>
      c.map((folder) => `${folder} → ${[...folderGraph.get(folder)!].filter((d) => c.includes(d)).join(', ')}`),
    );
    assert.deepStrictEqual(found, []);
  });

  it('keeps the layers: core imports no outer layer; engine and cli no extension; the webview only itself and dependency-free core modules', () => {
    const within = (folder: string, layer: string) => folder === layer || folder.startsWith(`${layer}/`);
    const outer = (folder: string) => ['cli', 'engine', 'extension', 'webview'].some((l) => within(folder, l));
    const problems: string[] = [];
    for (const [f, deps] of fileGraph) {
      for (const d of deps) {
        const [from, to] = [folderOf(f), folderOf(d)];
        if (from.startsWith('core') && outer(to)) problems.push(`${f} → ${d}`);
        if ((within(from, 'engine') || within(from, 'cli')) && (within(to, 'extension') || within(to, 'webview')))
          problems.push(`${f} → ${d}`);
        if (within(from, 'webview') && !within(to, 'webview') && fileGraph.get(d)!.size > 0)
          problems.push(`${f} → ${d} (which imports more)`);
      }
    }
    assert.deepStrictEqual(problems, []);
  });

  it('keeps the extension one folder per feature: a feature imports the shared host modules (the dashboard shell among them), core and engine, never another feature', () => {
    const features = ['runs', 'sweeps', 'evaluation', 'losses', 'backend'].map((f) => `extension/${f}`);
    const shared = ['extension/host'];
    const problems: string[] = [];
    for (const [f, deps] of fileGraph) {
      const from = folderOf(f);
      for (const d of deps) {
        const to = folderOf(d);
        if (to === from) continue;
        const toFeature = features.includes(to);
        if (features.includes(from) && toFeature) problems.push(`${f} → ${d} (another feature)`);
        if (shared.includes(from) && toFeature) problems.push(`${f} → ${d} (a shared module depends on a feature)`);
        if (from === 'extension' && !f.endsWith('extension.ts') && !f.endsWith('commands.ts'))
          problems.push(`${f} (only activation and the command index live at the top)`);
      }
    }
    // The folders exist and hold code (the rule is not vacuous).
    for (const folder of [...features.filter((f) => f !== 'extension/losses'), ...shared, 'extension/losses'])
      assert.ok(
        [...fileGraph.keys()].some((f) => folderOf(f) === folder),
        `${folder} has source files`,
      );
    assert.deepStrictEqual(problems, []);
  });
});
