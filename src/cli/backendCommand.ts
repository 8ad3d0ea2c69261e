/** `seglab install-tfjs-node`: TensorFlow's native CPU backend into a folder the engine can load it from. */
import * as os from 'os';
import * as path from 'path';
import { TFJS_VERSION } from '../core/backend/tfjsNode';
import { installTfjsNode } from '../engine/installTfjsNode';
import { parseCommand } from './args';

export const INSTALL_TFJS_NODE_USAGE = `usage: seglab install-tfjs-node [--dir DIR]
  Installs @tensorflow/tfjs-node@${TFJS_VERSION} with npm into DIR (default ~/.seglab/tfjs-node). Then
  SEGLAB_TFJS_NODE_PATH=DIR makes the 'tensorflow' backend available to train, compare and the
  extension (its setting seglab.tfjsNodePath). Needs internet access to download libtensorflow.`;

export function defaultTfjsNodeDir(): string {
  return path.join(os.homedir(), '.seglab', 'tfjs-node');
}

export async function installTfjsNodeCommand(argv: string[], write: (s: string) => void): Promise<number> {
  const { values } = parseCommand(argv, { dir: { type: 'string' } }, INSTALL_TFJS_NODE_USAGE);
  const dir = path.resolve((values.dir as string | undefined) ?? defaultTfjsNodeDir());
  write(`installing @tensorflow/tfjs-node@${TFJS_VERSION} into ${dir} (npm; downloads libtensorflow) …\n`);
  const result = await installTfjsNode(dir, { onOutput: (l) => process.stderr.write(`npm: ${l}\n`) });
  write(`installed: ${result.packageDir}\nuse it with: SEGLAB_TFJS_NODE_PATH=${dir} seglab train CONFIG --backend tensorflow\n`);
  return 0;
}
