/** Run folders to damage: a finished tiny run, copied per case, and edits of its checkpoint files. */
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeSafetensors, encodeSafetensors, type DecodedSafetensors } from '../../src/nn/safetensors.js';
import { findCheckpoint, type Manifest } from '../../src/train/checkpoint-store.js';
import { nodeRunFiles } from '../../src/train/run-files.js';
import { runTiny, TINY } from './tiny-run.js';

const root = mkdtempSync(join(tmpdir(), 'hyperrl-reliability-'));
let made = 0;

/** A new empty folder path (not created) under this process's scratch folder. */
export const scratchPath = (tag: string): string => join(root, `${tag}-${made++}`);

const finished = new Map<Record<string, unknown>, Promise<string>>();

/** A copy of a finished tiny run (`settings`: TINY or TINY_PPO; each trained once per process). */
export async function finishedRunCopy(settings: Record<string, unknown> = TINY): Promise<string> {
  let original = finished.get(settings);
  if (original === undefined) {
    original = (async () => {
      const dir = scratchPath('finished');
      await runTiny(dir, nodeRunFiles, settings);
      return dir;
    })();
    finished.set(settings, original);
  }
  const copy = scratchPath('copy');
  cpSync(await original, copy, { recursive: true });
  return copy;
}

/** The newest complete generation's folder. */
export function generationDir(runDir: string): string {
  const newest = findCheckpoint(nodeRunFiles, runDir).newest;
  if (newest === null) throw new Error(`${runDir} has no checkpoint`);
  return newest.dir;
}

/** Flip one bit of a checkpoint file (the manifest is left alone: its checksum must catch it). */
export function flipByte(runDir: string, file: string, offset = 40): void {
  const path = join(generationDir(runDir), file);
  const bytes = readFileSync(path);
  bytes[offset % bytes.length]! ^= 0x10;
  writeFileSync(path, bytes);
}

/**
 * Replace a checkpoint file and record its new size and checksum in the manifest, as a bug or a
 * hand edit would leave it: what loading then reports comes from checking the contents.
 */
export function rewriteCheckpointFile(runDir: string, file: string, edit: (bytes: Buffer) => Uint8Array | string): void {
  const dir = generationDir(runDir);
  const data = edit(readFileSync(join(dir, file)));
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  writeFileSync(join(dir, file), bytes);
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
  manifest.files[file] = { bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
}

/** `rewriteCheckpointFile` for meta.json as an object. */
export const editMeta = (runDir: string, edit: (meta: Record<string, unknown>) => void): void =>
  rewriteCheckpointFile(runDir, 'meta.json', (b) => {
    const meta = JSON.parse(b.toString()) as Record<string, unknown>;
    edit(meta);
    return JSON.stringify(meta);
  });

/** `rewriteCheckpointFile` for a safetensors file, decoded. */
export const editTensors = (runDir: string, file: string, edit: (t: DecodedSafetensors) => void): void =>
  rewriteCheckpointFile(runDir, file, (b) => {
    const t = decodeSafetensors(b, file);
    edit(t);
    return encodeSafetensors(t.tensors, t.metadata);
  });

/** Edit the run's config.json as an object. */
export function editConfig(runDir: string, edit: (config: { run: Record<string, unknown>; agent: Record<string, unknown> }) => void): void {
  const path = join(runDir, 'config.json');
  const config = JSON.parse(readFileSync(path, 'utf8')) as { run: Record<string, unknown>; agent: Record<string, unknown> };
  edit(config);
  writeFileSync(path, JSON.stringify(config));
}

/**
 * Turn the run's newest generation into a folder of the format-1 layout (`checkpoint`, or what a
 * kill left of its swap: `checkpoint.old`, `checkpoint.tmp`), as a run written before generations
 * existed has it: no manifest, meta.json of format 1 (no metrics extent, no last evaluation).
 */
export function toLegacy(runDir: string, name: 'checkpoint' | 'checkpoint.old' | 'checkpoint.tmp', into = runDir): void {
  const legacy = join(into, name);
  renameSync(generationDir(runDir), legacy);
  rmSync(join(runDir, 'checkpoints'), { recursive: true, force: true });
  rmSync(join(legacy, 'manifest.json'));
  const meta = JSON.parse(readFileSync(join(legacy, 'meta.json'), 'utf8')) as Record<string, unknown>;
  delete meta.metrics;
  delete meta.lastEval;
  meta.format = 1;
  writeFileSync(join(legacy, 'meta.json'), JSON.stringify(meta, null, 2) + '\n');
}
