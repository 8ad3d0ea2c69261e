/**
 * `seglab backend`: which backend auto chooses here, why the others were passed over, and the GPU
 * adapter; `--install webgpu` installs GPU support. `seglab install-tfjs-node`: TensorFlow's native CPU
 * backend into a folder the engine can load it from.
 */
import * as os from 'os';
import * as path from 'path';
import { BackendInfo, initBackend } from '../core/backend/backend';
import { TFJS_VERSION } from '../core/backend/tfjsNode';
import { adapterLine, findAdapter, GpuAdapter, WEBGPU_VERSION } from '../core/backend/webgpu';
import { encodeJson } from '../core/common/json';
import { installTfjsNode, installWebgpu } from '../engine/installBackend';
import { choiceValue, parseCommand } from './args';

export const BACKEND_USAGE = `usage: seglab backend [--backend B] [--json]
       seglab backend --install webgpu [--dir DIR]
  Says which TensorFlow.js backend runs here (auto, or B / SEGLAB_BACKEND when given), why each faster
  one was passed over, and the GPU adapter WebGPU finds (vendor, architecture, device, limits).
  auto takes a hardware GPU through WebGPU first; a software adapter (llvmpipe, SwiftShader) only when
  forced with --backend webgpu.
  --install webgpu: npm install webgpu@${WEBGPU_VERSION} (Dawn, ≈130 MB, all platforms) into DIR (default
  ~/.seglab/webgpu); SEGLAB_WEBGPU_PATH=DIR then makes the 'webgpu' backend available.`;

export function defaultWebgpuDir(): string {
  return path.join(os.homedir(), '.seglab', 'webgpu');
}

async function adapterOrReason(): Promise<GpuAdapter | string> {
  try {
    return (await findAdapter()).info;
  } catch (e) {
    return (e as Error).message;
  }
}

export async function backendCommand(argv: string[], write: (s: string) => void): Promise<number> {
  const { values } = parseCommand(
    argv,
    { backend: { type: 'string' }, json: { type: 'boolean' }, install: { type: 'string' }, dir: { type: 'string' } },
    BACKEND_USAGE,
  );
  const install = choiceValue(values.install, 'install', ['webgpu'] as const);
  if (install) {
    const dir = path.resolve(values.dir ?? defaultWebgpuDir());
    write(`installing webgpu@${WEBGPU_VERSION} into ${dir} (npm) …\n`);
    const result = await installWebgpu(dir, { onOutput: (l) => process.stderr.write(`npm: ${l}\n`) });
    process.env.SEGLAB_WEBGPU_PATH = dir;
    const adapter = await adapterOrReason();
    write(`installed: ${result.packageDir}\n${typeof adapter === 'string' ? `but: ${adapter}` : `GPU: ${adapterLine(adapter)}`}\n`);
    write(`use it with: SEGLAB_WEBGPU_PATH=${dir} seglab train CONFIG (auto takes a hardware GPU; --backend webgpu forces it)\n`);
    return 0;
  }
  const info: BackendInfo = await initBackend(values.backend);
  const adapter = info.adapter ?? (await adapterOrReason());
  if (values.json) {
    write(
      encodeJson({
        ...info,
        adapter: typeof adapter === 'string' ? null : adapter,
        adapterProblem: typeof adapter === 'string' ? adapter : undefined,
      }) + '\n',
    );
    return 0;
  }
  const extra = [
    info.simd !== undefined ? (info.simd ? 'SIMD' : 'no SIMD') : '',
    info.threads ? `${info.threads} thread${info.threads > 1 ? 's' : ''}` : '',
    info.kernels ? `${info.kernels} kernels` : '',
  ].filter(Boolean);
  const source = info.requestedBy === 'environment' ? 'SEGLAB_BACKEND=' : '--backend ';
  const by = info.requested === 'auto' ? 'chosen by auto' : `forced by ${source}${info.requested}`;
  write(`backend: ${info.name}${extra.length ? ` (${extra.join(', ')})` : ''}, ${by}\n`);
  for (const s of info.skipped) write(`  passed over ${s}\n`);
  if (typeof adapter === 'string') write(`GPU: none usable: ${adapter}\n`);
  else {
    write(`GPU: ${adapterLine(adapter)}\n`);
    write(`  vendor ${adapter.vendor || '?'}, architecture ${adapter.architecture || '?'}, device ${adapter.device || '?'}\n`);
    write(`  description ${adapter.description || '?'}\n`);
  }
  return 0;
}

export const INSTALL_TFJS_NODE_USAGE = `usage: seglab install-tfjs-node [--dir DIR]
  Installs @tensorflow/tfjs-node@${TFJS_VERSION} with npm into DIR (default ~/.seglab/tfjs-node). Then
  SEGLAB_TFJS_NODE_PATH=DIR makes the 'tensorflow' backend available to train, compare and the
  extension (its setting seglab.tfjsNodePath). Needs internet access to download libtensorflow.`;

export function defaultTfjsNodeDir(): string {
  return path.join(os.homedir(), '.seglab', 'tfjs-node');
}

export async function installTfjsNodeCommand(argv: string[], write: (s: string) => void): Promise<number> {
  const { values } = parseCommand(argv, { dir: { type: 'string' } }, INSTALL_TFJS_NODE_USAGE);
  const dir = path.resolve(values.dir ?? defaultTfjsNodeDir());
  write(`installing @tensorflow/tfjs-node@${TFJS_VERSION} into ${dir} (npm; downloads libtensorflow) …\n`);
  const result = await installTfjsNode(dir, { onOutput: (l) => process.stderr.write(`npm: ${l}\n`) });
  write(`installed: ${result.packageDir}\nuse it with: SEGLAB_TFJS_NODE_PATH=${dir} seglab train CONFIG --backend tensorflow\n`);
  return 0;
}
