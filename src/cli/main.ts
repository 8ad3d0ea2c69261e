/**
 * The `seglab` command line: the same core the extension uses, for CI, remote machines and scripts.
 * Exit codes: 0 success, 1 bad input or a failed job, 2 a wrong command line.
 */
import { BACKEND_CHOICES } from '../core/backend/names';
import { BACKEND_USAGE, backendCommand, INSTALL_TFJS_NODE_USAGE, installTfjsNodeCommand } from './backendCommand';
import { evalCommand, EVAL_USAGE } from './evalCommand';
import { lossesCommand, LOSSES_USAGE } from './lossesCommand';
import { lossMapCommand, LOSS_MAP_USAGE } from './lossMapCommand';
import { UsageError } from './args';
import {
  COMPARE_USAGE,
  compareCommand,
  DEMO_USAGE,
  demoCommand,
  INIT_USAGE,
  initCommand,
  PREDICT_USAGE,
  predictCommand,
  TRAIN_USAGE,
  trainCommand,
} from './trainCommands';
import { sweepCommand, SWEEP_USAGE } from './sweepCommand';
import { LOSS_CURVES_USAGE, lossCurvesCommand, WEIGHT_MAP_USAGE, weightMapCommand } from './toolCommands';
import { didYouMean, shown } from '../core/common/suggest';

const COMMANDS: Record<string, { run: (argv: string[], write: (s: string) => void) => Promise<number>; usage: string; summary: string }> = {
  demo: { run: demoCommand, usage: DEMO_USAGE, summary: 'the main job: sigmoid vs softmax on the built-in dataset, with a report' },
  train: { run: trainCommand, usage: TRAIN_USAGE, summary: 'train one experiment config' },
  compare: { run: compareCommand, usage: COMPARE_USAGE, summary: 'train several heads (and seeds) and write a comparison report' },
  sweep: { run: sweepCommand, usage: SWEEP_USAGE, summary: 'a grid of config variants × seeds, resumable, with statistics' },
  predict: { run: predictCommand, usage: PREDICT_USAGE, summary: "apply a run's model to a folder of images" },
  init: { run: initCommand, usage: INIT_USAGE, summary: 'write a starter experiment config' },
  losses: { run: lossesCommand, usage: LOSSES_USAGE, summary: 'losses of a saved prediction against its target' },
  'loss-map': {
    run: lossMapCommand,
    usage: LOSS_MAP_USAGE,
    summary: 'a loss pixel by pixel over one prediction, errors by boundary distance',
  },
  eval: { run: evalCommand, usage: EVAL_USAGE, summary: 'metrics of a folder of predictions against ground truth' },
  'loss-curves': { run: lossCurvesCommand, usage: LOSS_CURVES_USAGE, summary: 'each binary loss and its gradient against p (JSON)' },
  'weight-map': { run: weightMapCommand, usage: WEIGHT_MAP_USAGE, summary: 'the U-Net weight map of a mask (JSON)' },
  backend: { run: backendCommand, usage: BACKEND_USAGE, summary: 'the backend auto chooses here, the GPU adapter; --install webgpu' },
  'install-tfjs-node': {
    run: installTfjsNodeCommand,
    usage: INSTALL_TFJS_NODE_USAGE,
    summary: "install TensorFlow's native CPU backend (needs internet)",
  },
};

function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  return [
    'usage: seglab <command> [options]   (seglab <command> --help for its options)',
    '',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    `Environment: SEGLAB_BACKEND=${BACKEND_CHOICES.join('|')} chooses the TensorFlow.js backend;`,
    '  SEGLAB_THREADS=N the cores the wasm kernels use (default: all); SEGLAB_TFJS_NODE_PATH=DIR loads',
    '  tfjs-node from a folder where install-tfjs-node put it; SEGLAB_WEBGPU_PATH=DIR loads GPU support',
    '  from a folder where backend --install webgpu put it.',
  ].join('\n');
}

export async function main(
  argv: string[],
  out = (s: string) => process.stdout.write(s),
  err = (s: string) => process.stderr.write(s),
): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    out(help() + '\n');
    return name ? 0 : 2;
  }
  if (name === '--version') {
    // esbuild inlines the JSON; an import would pull package.json into tsc's rootDir.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- see above
    out(`${require('../../package.json').version}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    err(`seglab: '${shown(name)}' is not a command.${didYouMean(name, Object.keys(COMMANDS))}\n${help()}\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    out(command.usage + '\n');
    return 0;
  }
  try {
    return await command.run(rest, out);
  } catch (e) {
    const usage = e instanceof UsageError;
    err(`seglab ${name}: error: ${(e as Error).message}\n`);
    if (!usage && process.env.SEGLAB_DEBUG) err(`${(e as Error).stack}\n`);
    return usage ? 2 : 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`seglab: internal error: ${(e as Error).stack}\n`);
      process.exitCode = 1;
    },
  );
}
