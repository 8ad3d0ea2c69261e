/**
 * Every message between a caller (CLI, extension) and the engine process, as discriminated unions.
 * Both sides validate what they receive: a malformed message is reported, never acted on.
 */
import type { ExperimentConfig } from '../core/config/config';
import type { TrainEvent } from '../core/train/trainer';

/** Caller → engine. */
export type EngineRequest = { type: 'train'; config: ExperimentConfig; runName?: string; configFile?: string } | { type: 'cancel' };

/** Engine → caller. */
export type EngineMessage =
  | { type: 'ready'; pid: number }
  | { type: 'event'; event: TrainEvent }
  /** The job could not start or failed outside a run (bad data, bad backend); no run was written. */
  | { type: 'error'; message: string }
  | { type: 'protocol-error'; message: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function parseEngineRequest(v: unknown): EngineRequest | string {
  if (!isObject(v) || typeof v.type !== 'string') return 'a request must be an object with a string "type"';
  if (v.type === 'cancel') return { type: 'cancel' };
  if (v.type === 'train') {
    if (!isObject(v.config)) return 'train: "config" must be an object';
    if (v.runName !== undefined && typeof v.runName !== 'string') return 'train: "runName" must be a string';
    if (v.configFile !== undefined && typeof v.configFile !== 'string') return 'train: "configFile" must be a string';
    return {
      type: 'train',
      config: v.config as unknown as ExperimentConfig,
      runName: v.runName as string | undefined,
      configFile: v.configFile as string | undefined,
    };
  }
  return `unknown request type '${v.type}'`;
}

const EVENT_TYPES = ['start', 'batch', 'epoch', 'end'];

export function parseEngineMessage(v: unknown): EngineMessage | string {
  if (!isObject(v) || typeof v.type !== 'string') return 'a message must be an object with a string "type"';
  switch (v.type) {
    case 'ready':
      return typeof v.pid === 'number' ? { type: 'ready', pid: v.pid } : 'ready: "pid" must be a number';
    case 'error':
    case 'protocol-error':
      return typeof v.message === 'string' ? { type: v.type, message: v.message } : `${v.type}: "message" must be a string`;
    case 'event':
      if (!isObject(v.event) || !EVENT_TYPES.includes(v.event.type as string)) return 'event: unknown event';
      return { type: 'event', event: v.event as unknown as TrainEvent };
    default:
      return `unknown message type '${v.type}'`;
  }
}
