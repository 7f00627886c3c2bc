/**
 * The kill-point harness: a RunFiles layer that numbers every file operation of a run
 * (configuration, metrics, checkpoints) and "kills" the run at a chosen one — the operation
 * does not happen, or a write happens only half (torn), and every later operation fails too,
 * as nothing runs after a SIGKILL. The kill points of a run are enumerable: run it once
 * uninterrupted to record its operations, then kill it at each in turn.
 *
 * Flushes are counted but not carried out: a kill (unlike a power cut) loses nothing that was
 * written, so they do not change the outcome, and skipping them keeps thousands of runs fast.
 */
import { writeFileSync } from 'node:fs';
import { nodeRunFiles, type RunFiles } from '../../src/train/run-files.js';

export class Killed extends Error {
  override name = 'Killed';
}

export type OpKind = 'mkdir' | 'writeFile' | 'appendFile' | 'flush' | 'rename' | 'remove' | 'truncate';

export interface FileOp {
  kind: OpKind;
  path: string;
  /** Bytes written (writeFile, appendFile). */
  bytes?: number;
}

/** Where to kill: before operation `op` happens, or (torn) after half of its bytes are written. */
export interface KillPoint {
  op: number;
  torn: boolean;
}

const unflushed: RunFiles = { ...nodeRunFiles, writeFile: (path, data) => writeFileSync(path, data), flush: () => {} };

export class KillSwitch implements RunFiles {
  readonly ops: FileOp[] = [];
  private dead = false;

  constructor(private readonly killAt: KillPoint | null = null, private readonly inner: RunFiles = unflushed) {}

  /** Kill points of a recorded run: before every operation, and torn in the middle of every write of 2 bytes or more. */
  static points(ops: readonly FileOp[]): KillPoint[] {
    return ops.flatMap((o, op) => [{ op, torn: false }, ...((o.bytes ?? 0) >= 2 ? [{ op, torn: true }] : [])]);
  }

  get killed(): boolean {
    return this.dead;
  }

  exists(path: string): boolean {
    this.alive();
    return this.inner.exists(path);
  }
  readFile(path: string): Uint8Array {
    this.alive();
    return this.inner.readFile(path);
  }
  list(dir: string): string[] {
    this.alive();
    return this.inner.list(dir);
  }
  size(path: string): number {
    this.alive();
    return this.inner.size(path);
  }
  mkdir(path: string): void {
    this.op({ kind: 'mkdir', path }, () => this.inner.mkdir(path));
  }
  writeFile(path: string, data: Uint8Array | string): void {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    this.op({ kind: 'writeFile', path, bytes: bytes.length }, (half) => this.inner.writeFile(path, half ? bytes.subarray(0, bytes.length >> 1) : bytes));
  }
  appendFile(path: string, data: Uint8Array | string): void {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    this.op({ kind: 'appendFile', path, bytes: bytes.length }, (half) => this.inner.appendFile(path, half ? bytes.subarray(0, bytes.length >> 1) : bytes));
  }
  flush(path: string): void {
    this.op({ kind: 'flush', path }, () => this.inner.flush(path));
  }
  rename(from: string, to: string): void {
    this.op({ kind: 'rename', path: to }, () => this.inner.rename(from, to));
  }
  remove(path: string): void {
    this.op({ kind: 'remove', path }, () => this.inner.remove(path));
  }
  truncate(path: string, bytes: number): void {
    this.op({ kind: 'truncate', path }, () => this.inner.truncate(path, bytes));
  }

  private alive(): void {
    if (this.dead) throw new Killed('the process was killed');
  }

  private op(op: FileOp, apply: (half: boolean) => void): void {
    this.alive();
    const index = this.ops.length;
    this.ops.push(op);
    if (this.killAt?.op === index) {
      if (this.killAt.torn) apply(true);
      this.dead = true;
      throw new Killed(`killed at operation ${index} (${op.kind} ${op.path}${this.killAt.torn ? ', torn' : ''})`);
    }
    apply(false);
  }
}
