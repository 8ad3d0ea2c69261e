/**
 * Installs `@tensorflow/tfjs-node` (TensorFlow's native C library for the CPU, several times faster
 * than wasm where it installs) into a folder with npm, pinned to SegLab's tfjs version, then checks
 * that the engine can load it from there. Its install script downloads libtensorflow from Google's
 * storage; where that is blocked the install fails, and the error says so with npm's last lines.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { TFJS_VERSION, tfjsNodePackageDir } from '../core/backend/tfjsNode';

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

export function installTfjsNode(dir: string, o: InstallOptions = {}): Promise<InstallResult> {
  const npm = o.npm ?? (process.platform === 'win32' ? 'npm.cmd' : 'npm');
  fs.mkdirSync(dir, { recursive: true });
  // A package.json of its own, so npm installs here and not into an enclosing project.
  const manifest = path.join(dir, 'package.json');
  if (!fs.existsSync(manifest)) {
    fs.writeFileSync(
      manifest,
      JSON.stringify({ name: 'seglab-tfjs-node', private: true, description: 'tfjs-node for SegLab' }, null, 2) + '\n',
    );
  }
  const args = ['install', '--no-audit', '--no-fund', '--save-exact', `@tensorflow/tfjs-node@${TFJS_VERSION}`];
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
      const pkg = tfjsNodePackageDir(dir);
      const binding =
        pkg && fs.readdirSync(path.join(pkg, 'lib'), { withFileTypes: true }).some((d) => d.isDirectory() && d.name.startsWith('napi-v'));
      if (code === 0 && pkg && binding) {
        resolve({ dir, packageDir: pkg, version: TFJS_VERSION });
        return;
      }
      const how = signal ? `was stopped (${signal})` : `exited with code ${code}`;
      const unreachable = output.some((l) => /libtensorflow|storage\.googleapis|ENOTFOUND|ECONNREFUSED|ETIMEDOUT|getaddrinfo/i.test(l));
      const reason = unreachable
        ? 'libtensorflow could not be downloaded (no internet access, or a proxy/firewall blocks it)'
        : code === 0
          ? 'npm finished but the native binding is missing'
          : `npm ${how}`;
      // First line: the reason, short enough for a notification; then what ran and npm's own words.
      reject(
        new Error(
          `tfjs-node not installed: ${reason}; SegLab keeps using the wasm backend.\n` +
            `npm install @tensorflow/tfjs-node@${TFJS_VERSION} in ${dir} ${how}:\n${explainNpmFailure(output)}`,
        ),
      );
    });
  });
}
