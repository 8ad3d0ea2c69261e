/**
 * `@tensorflow/tfjs-node` installed outside SegLab's own node_modules (the VS Code extension installs it
 * into its global storage; any folder where `npm install @tensorflow/tfjs-node@<tfjs version>` ran
 * works). tfjs-node registers its backend with the `@tensorflow/tfjs-core` it requires; loaded from
 * another folder it would find that folder's copy, and SegLab's tfjs would never see the backend. So
 * while it loads, its `@tensorflow/tfjs*` imports resolve to SegLab's copies (same version: the
 * installer pins it).
 */
import * as fs from 'fs';
import * as path from 'path';

/** The tfjs version SegLab is built with; tfjs-node must match it. */
export const TFJS_VERSION = '4.22.0';

/** The folder of the tfjs-node package under an install folder, or null when it is not there. */
export function tfjsNodePackageDir(installDir: string): string | null {
  const dir = path.join(installDir, 'node_modules', '@tensorflow', 'tfjs-node');
  return fs.existsSync(path.join(dir, 'package.json')) ? dir : null;
}

const SHARED = /^@tensorflow\/tfjs(-core|-layers|-converter|-data|-backend-cpu)?(\/.*)?$/;

interface ModuleInternals {
  _resolveFilename(request: string, parent: { filename?: string | null } | undefined, ...rest: unknown[]): string;
}

/**
 * Loads tfjs-node from `installDir` (a folder with node_modules/@tensorflow/tfjs-node), resolving its
 * TensorFlow.js imports to SegLab's. Throws an error naming the folder and what is missing or broken.
 */
export function loadTfjsNodeFrom(installDir: string): void {
  const pkg = tfjsNodePackageDir(installDir);
  if (!pkg) {
    throw new Error(
      `tfjs-node is not installed in ${installDir} (no node_modules/@tensorflow/tfjs-node); ` +
        `run "SegLab: Install TensorFlow Native Backend" or npm install @tensorflow/tfjs-node@${TFJS_VERSION} there`,
    );
  }
  const version = (JSON.parse(fs.readFileSync(path.join(pkg, 'package.json'), 'utf8')) as { version?: string }).version;
  if (version !== TFJS_VERSION) {
    throw new Error(`${pkg} is tfjs-node ${version}; SegLab needs ${TFJS_VERSION} (the version of its TensorFlow.js)`);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the CommonJS loader's internals, not in its typings
  const Module = require('module') as ModuleInternals;
  const original = Module._resolveFilename;
  const root = path.resolve(installDir) + path.sep;
  // Stays installed (tfjs-node may require lazily); it only redirects requests from files under root.
  Module._resolveFilename = function (request, parent, ...rest) {
    if (SHARED.test(request) && parent?.filename?.startsWith(root)) return original.call(this, request, module, ...rest);
    return original.call(this, request, parent, ...rest);
  };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a path known only at run time
    require(pkg);
  } catch (e) {
    throw new Error(`loading tfjs-node from ${pkg} failed: ${(e as Error).message.split('\n')[0]}`);
  }
}
