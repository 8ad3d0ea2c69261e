// Bundles the entry points into dist/. TensorFlow.js stays external: its wasm backend finds
// its .wasm files next to its own module, and tfjs-node is optional and loaded at run time.
const esbuild = require('esbuild');

const watch = process.argv.includes('--watch');
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
  external: ['vscode', '@tensorflow/*'],
};
const entries = [
  { in: 'src/core/index.ts', out: 'dist/core.js' },
  { in: 'src/cli/main.ts', out: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } },
  { in: 'src/engine/main.ts', out: 'dist/engine.js' },
  { in: 'src/extension/extension.ts', out: 'dist/extension.js' },
  // The decoding thread of folder datasets, started by path from the bundles above (folderSource.ts).
  { in: 'src/core/data/decodeWorker.ts', out: 'dist/decodeWorker.js' },
];

async function main() {
  const contexts = await Promise.all(
    entries.map((e) => esbuild.context({ ...common, entryPoints: [e.in], outfile: e.out, banner: e.banner })),
  );
  // The webview runs in the browser sandbox: its own bundle (with uPlot and the CSS), no Node.
  contexts.push(
    await esbuild.context({
      entryPoints: ['src/webview/ui/main.ts'],
      outfile: 'dist/webview.js',
      bundle: true,
      platform: 'browser',
      format: 'iife',
      target: 'es2020',
      sourcemap: true,
      logLevel: 'warning',
    }),
  );
  if (watch) {
    await Promise.all(contexts.map((c) => c.watch()));
    return;
  }
  await Promise.all(contexts.map((c) => c.rebuild()));
  await Promise.all(contexts.map((c) => c.dispose()));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
