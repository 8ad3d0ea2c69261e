/**
 * The optional backends, installed with npm into a folder of their own, pinned, and checked to be
 * complete. `@tensorflow/tfjs-node` (TensorFlow's native C library for the CPU, several times faster than
 * wasm where it installs): its install script downloads libtensorflow from Google's storage; where that
 * is blocked the install fails, and the error says so with npm's last lines. `webgpu` (Dawn, for the
 * GPU): prebuilt binaries inside the npm package, nothing else to download.
 */
import { makeDirs } from '../core/runs/atomicWrite';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { TFJS_VERSION, tfjsNodePackageDir } from '../core/backend/tfjsNode';
import { dawnBinary, WEBGPU_VERSION } from '../core/backend/webgpu';

export interface InstallOptions {
  /** npm executable (default: `npm` on PATH, `npm.cmd` on Windows). */
  npm?: string;
  /** Lines of npm's output as they come (for a progress view or an output channel). */
  onOutput?: (line: string) => void;
  /** Kills npm after this long (default 15 min). */
  timeoutMs?: number;
}

export interface InstallResult {
  dir: string;
  packageDir: string;
  version: string;
}

/** The lines of npm's output that say what went wrong: error messages and steps, not stack frames. */
export function explainNpmFailure(output: string[]): string {
  const text = output.filter((l) => !/^npm warn/.test(l)).map((l) => l.replace(/^npm (error|ERR!)\s?/, '').trimEnd());
  const key = text.filter(
    (l) =>
      /^(\w*Error\b|\* Downloading|npm |code |gyp ERR)|ENOTFOUND|EACCES|ENOSPC|ECONNREFUSED|ETIMEDOUT|E404|ERR_/.test(l.trim()) &&
      !/^\s+at /.test(l),
  );
  const lines = (key.length ? key : text.filter((l) => l.trim())).slice(-8);
  return lines.map((l) => `  ${l.trim()}`).join('\n');
}

/** What `npmInstall` installs and how it tells success from failure. */
interface PackageInstall {
  /** npm's package spec, pinned (`name@version`), and the name messages use. */
  spec: string;
  label: string;
  /** The name of the folder's own package.json (so npm installs here, not into an enclosing project). */
  manifestName: string;
  /** The installed package's folder when it is complete, else null. */
  installed: (dir: string) => string | null;
  /** Why npm failed, when its output says (a blocked download); else null. */
  explain: (output: string[], code: number | null) => string | null;
  /** The first line's tail: what SegLab does without the package. */
  fallback: string;
}

/** `npm install SPEC` in `dir` (created), with npm's lines streamed and its failure explained. */
function npmInstall(dir: string, p: PackageInstall, o: InstallOptions): Promise<string> {
  const npm = o.npm ?? (process.platform === 'win32' ? 'npm.cmd' : 'npm');
  makeDirs(dir);
  const manifest = path.join(dir, 'package.json');
  if (!fs.existsSync(manifest)) {
    fs.writeFileSync(
      manifest,
      JSON.stringify({ name: p.manifestName, private: true, description: `${p.spec} for SegLab` }, null, 2) + '\n',
    );
  }
  const args = ['install', '--no-audit', '--no-fund', '--save-exact', p.spec];
  const output: string[] = [];
  return new Promise((resolve, reject) => {
    const child = spawn(npm, args, { cwd: dir, env: process.env, shell: process.platform === 'win32' });
    const timer = setTimeout(() => child.kill('SIGTERM'), o.timeoutMs ?? 15 * 60_000);
    const collect = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split(/\r?\n/)) {
        if (!line.trim()) continue;
        output.push(line);
        o.onOutput?.(line);
      }
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', (e) => {
      clearTimeout(timer);
      const hint =
        (e as NodeJS.ErrnoException).code === 'ENOENT'
          ? ` (${npm} is not on PATH; install Node.js with npm, or set it up for VS Code)`
          : '';
      reject(new Error(`could not start ${npm}: ${e.message}${hint}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const pkg = p.installed(dir);
      if (code === 0 && pkg) {
        resolve(pkg);
        return;
      }
      const how = signal ? `was stopped (${signal})` : `exited with code ${code}`;
      const reason = p.explain(output, code) ?? (code === 0 ? 'npm finished but the package is incomplete' : `npm ${how}`);
      // First line: the reason, short enough for a notification; then what ran and npm's own words.
      reject(
        new Error(
          `${p.label} not installed: ${reason}; ${p.fallback}.\n` + `npm install ${p.spec} in ${dir} ${how}:\n${explainNpmFailure(output)}`,
        ),
      );
    });
  });
}

const UNREACHABLE = /ENOTFOUND|ECONNREFUSED|ETIMEDOUT|getaddrinfo|EAI_AGAIN/i;

export async function installTfjsNode(dir: string, o: InstallOptions = {}): Promise<InstallResult> {
  const packageDir = await npmInstall(
    dir,
    {
      spec: `@tensorflow/tfjs-node@${TFJS_VERSION}`,
      label: 'tfjs-node',
      manifestName: 'seglab-tfjs-node',
      installed: (d) => {
        const pkg = tfjsNodePackageDir(d);
        const lib = pkg && path.join(pkg, 'lib');
        const binding =
          lib &&
          fs.existsSync(lib) &&
          fs.readdirSync(lib, { withFileTypes: true }).some((e) => e.isDirectory() && e.name.startsWith('napi-v'));
        return binding ? pkg : null;
      },
      explain: (output, code) =>
        output.some((l) => /libtensorflow|storage\.googleapis/i.test(l) || UNREACHABLE.test(l))
          ? 'libtensorflow could not be downloaded (no internet access, or a proxy/firewall blocks it)'
          : code === 0
            ? 'npm finished but the native binding is missing'
            : null,
      fallback: 'SegLab keeps using the wasm backend',
    },
    o,
  );
  return { dir, packageDir, version: TFJS_VERSION };
}

/**
 * Installs the `webgpu` package (Dawn's Node bindings, prebuilt for every platform: no download
 * besides npm's own) into a folder; `SEGLAB_WEBGPU_PATH` (the extension's seglab.webgpuPath) loads it.
 */
export async function installWebgpu(dir: string, o: InstallOptions = {}): Promise<InstallResult> {
  const packageDir = await npmInstall(
    dir,
    {
      spec: `webgpu@${WEBGPU_VERSION}`,
      label: 'GPU support (webgpu)',
      manifestName: 'seglab-webgpu',
      installed: (d) => {
        const pkg = path.join(d, 'node_modules', 'webgpu');
        return fs.existsSync(dawnBinary(pkg)) ? pkg : null;
      },
      explain: (output, code) =>
        output.some((l) => UNREACHABLE.test(l))
          ? 'the npm registry could not be reached (no internet access, or a proxy/firewall blocks it)'
          : code === 0
            ? `npm finished but Dawn has no build for ${process.platform}-${process.arch}`
            : null,
      fallback: 'SegLab keeps using the CPU backends',
    },
    o,
  );
  return { dir, packageDir, version: WEBGPU_VERSION };
}
