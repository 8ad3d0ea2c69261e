/**
 * The engine process: trains one run per process, started by `startTraining` (engine/client.ts)
 * with an IPC channel. Training never runs in the caller's process, so the caller (the VS Code
 * extension host, the CLI) stays responsive and survives a crash or an out-of-memory here.
 */
import { validateConfig } from '../core/config/config';
import { trainRun } from '../core/train/trainer';
import { EngineMessage, parseEngineRequest } from './protocol';

function send(message: EngineMessage): void {
  process.send?.(message);
}

let stopRequested = false;
let busy = false;

async function runTraining(rawConfig: unknown, runName?: string, configFile?: string): Promise<void> {
  busy = true;
  try {
    const config = validateConfig(rawConfig, 'config');
    await trainRun({
      config,
      runName,
      configFile,
      emit: (event) => send({ type: 'event', event }),
      shouldStop: () => stopRequested,
      // Fault injection for the NaN-loss path (a real divergence is not reproducible across machines);
      // inert unless the variable is set. Crashes are tested by killing the engine from outside.
      lossOverride: process.env.SEGLAB_TEST_NAN_AT_STEP
        ? (_epoch, step, loss) => (step === Number(process.env.SEGLAB_TEST_NAN_AT_STEP) ? NaN : loss)
        : undefined,
    });
  } catch (err) {
    send({ type: 'error', message: (err as Error).message });
  } finally {
    busy = false;
    process.disconnect?.();
  }
}

if (require.main === module) {
  if (!process.send) {
    process.stderr.write('seglab engine: start me through the CLI or the extension (I need an IPC channel)\n');
    process.exit(2);
  }
  // Ctrl-C in a terminal sends SIGINT to the whole process group, this process included. The caller
  // decides (first Ctrl-C: stop after the batch and save a checkpoint; second: kill), so the engine
  // ignores it. If the caller goes away (its IPC channel closes), the run stops as if cancelled.
  process.on('SIGINT', () => undefined);
  // SIGTERM (a batch scheduler ending the job, which signals every process of it): stop after the
  // current batch and save a checkpoint, as a cancel does, before the SIGKILL that follows.
  process.on('SIGTERM', () => {
    stopRequested = true;
  });
  process.on('disconnect', () => {
    stopRequested = true;
  });
  process.on('message', (raw) => {
    const request = parseEngineRequest(raw);
    if (typeof request === 'string') {
      send({ type: 'protocol-error', message: request });
      return;
    }
    if (request.type === 'cancel') stopRequested = true;
    else if (busy) send({ type: 'protocol-error', message: 'a job is already running in this engine' });
    else void runTraining(request.config, request.runName, request.configFile);
  });
  send({ type: 'ready', pid: process.pid });
}
