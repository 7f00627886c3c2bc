/**
 * Lock-step protocol between AsyncVectorEnv and its workers, all in shared
 * memory so a step costs two Atomics round trips and no postMessage.
 *
 * Per worker, a 64-byte block of the control Int32Array (its own cache line):
 * the main thread writes COMMAND, then increments SEQUENCE and notifies; the
 * worker runs the command on its envs, writes STATUS, then sets DONE to the
 * sequence number and notifies.
 */
import type { VectorEnvOptions } from './vector-env.js';

export const CONTROL_STRIDE = 16;
export const SEQUENCE = 0;
export const COMMAND = 1;
export const DONE = 2;
export const STATUS = 3;

export const enum Command {
  Reset = 1,
  Step = 2,
  Close = 3,
}

export const enum Status {
  Ok = 0,
  /** An env threw; the message is in the worker's text block. */
  Failed = 1,
  /** The worker thread is exiting. */
  Exited = 2,
  /** An env returned a non-finite number (a NonFiniteError); the message is in the worker's text block. */
  NonFinite = 3,
}

/**
 * Bytes of the per-worker text block (error messages; reset options as JSON from the main
 * thread: 64 KiB carries e.g. 40 Walker2dRandParams tasks of 65 parameters per worker).
 */
export const TEXT_BYTES = 65536;

/** resetArgs[2]: which reset options the text block carries. */
export const enum ResetOptions {
  None = 0,
  /** One options object for every env of the worker. */
  Shared = 1,
  /** An array with one options object per env of the worker, in index order. */
  PerEnv = 2,
}

/** Sent by the main thread when starting a worker (workerData). */
export interface WorkerSetup {
  envId: string;
  members: VectorEnvOptions;
  /** Indices [first, end) of the envs this worker owns. */
  first: number;
  end: number;
  /** Module URLs imported, in order, before creating envs (e.g. ones that register custom envs). */
  setupModules: string[];
}

/** Sent by a worker once its envs exist. */
export interface WorkerReady {
  type: 'ready';
  obsSize: number;
  obsDtype: 'float32' | 'float64';
  /** Box bounds, or the number of actions of a Discrete space. */
  actionLow: number[] | undefined;
  actionHigh: number[] | undefined;
  discreteN: number | undefined;
  discreteStart: number | undefined;
}

/** Sent by the main thread once every worker is ready. */
export interface SharedSlabs {
  type: 'slabs';
  control: SharedArrayBuffer;
  /** Per-worker text blocks, TEXT_BYTES each. */
  text: SharedArrayBuffer;
  /** [hasSeed, seed, ResetOptions] for Reset. */
  resetArgs: SharedArrayBuffer;
  obs: SharedArrayBuffer;
  actions: SharedArrayBuffer;
  rewards: SharedArrayBuffer;
  terminations: SharedArrayBuffer;
  truncations: SharedArrayBuffer;
  workerIndex: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Writes a length-prefixed UTF-8 string (truncated to fit) into a text block; returns false if it was truncated. */
export function writeText(block: Uint8Array, text: string): boolean {
  const encoded = encoder.encode(text);
  const bytes = encoded.subarray(0, block.length - 4);
  new DataView(block.buffer, block.byteOffset, 4).setUint32(0, bytes.length, true);
  block.set(bytes, 4);
  return bytes.length === encoded.length;
}

export function readText(block: Uint8Array): string {
  const length = new DataView(block.buffer, block.byteOffset, 4).getUint32(0, true);
  // TextDecoder does not accept views of shared memory; copy first.
  return decoder.decode(block.slice(4, 4 + length));
}
