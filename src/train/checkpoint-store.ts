/**
 * The checkpoint protocol: how a run folder holds its checkpoints so that a kill at any
 * moment (or two in a row) leaves the newest complete one findable.
 *
 *   checkpoints/g000007-step-1200/           a complete generation: its files and manifest.json
 *   checkpoints/g000008-step-1400.partial/   a generation being written (ignored, removed later)
 *
 * A generation is written into a new `.partial` folder — every file flushed to disk, then
 * `manifest.json` (each file's size and SHA-256), then the folder flushed — and made current
 * by one atomic step, the rename that drops `.partial`. Only then are older generations and
 * leftovers removed. So the newest folder without `.partial` is always complete, and a file
 * damaged later (a flipped byte) fails its checksum on load, with the file named.
 *
 * `findCheckpoint` is the one recovery routine: `train --resume`, `eval`, `diagnose` and the
 * experiment runner all ask it, so they cannot disagree about what a folder holds. It also
 * reads runs written before generations existed (`checkpoint/`, and what a kill left of its
 * swap: `checkpoint.old`, a complete `checkpoint.tmp`), taking the newest complete one.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { ensureDir, type RunFiles } from './run-files.js';

export const CHECKPOINTS_DIR = 'checkpoints';
const MANIFEST = 'manifest.json';
const GENERATION = /^g(\d+)-step-(\d+)(\.partial)?$/;
/** The single-folder layout of format 1, and the two names its swap used. */
const LEGACY = ['checkpoint', 'checkpoint.old', 'checkpoint.tmp'] as const;
const LEGACY_FILES = ['meta.json', 'params.safetensors', 'optim.safetensors', 'replay.safetensors'];

export interface Manifest {
  format: 2;
  generation: number;
  step: number;
  files: Record<string, { bytes: number; sha256: string }>;
}

export interface FoundCheckpoint {
  dir: string;
  step: number;
  /** null for a checkpoint of the format-1 layout (no checksums). */
  manifest: Manifest | null;
}

export interface CheckpointSearch {
  /** The newest complete checkpoint, or null. */
  newest: FoundCheckpoint | null;
  /** Complete-looking checkpoints that cannot be used, each with the reason (naming the file). */
  damaged: string[];
}

/** A checkpoint that cannot be used; the message names the file and the problem. */
export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');
const parseJson = (files: RunFiles, path: string): unknown => JSON.parse(new TextDecoder().decode(files.readFile(path)));

/**
 * Write a new generation holding `contents` (file name → bytes) for `step`, make it current
 * atomically, then remove older generations, leftovers of killed writes, and format-1 folders.
 * Returns the generation's folder.
 */
export function commitGeneration(files: RunFiles, runDir: string, step: number, contents: Record<string, Uint8Array>): string {
  const root = join(runDir, CHECKPOINTS_DIR);
  ensureDir(files, root);
  const existing = files.list(root);
  const generation = 1 + existing.reduce((max, name) => Math.max(max, Number(GENERATION.exec(name)?.[1] ?? 0)), 0);
  const name = `g${String(generation).padStart(6, '0')}-step-${step}`;
  const partial = join(root, `${name}.partial`), final = join(root, name);
  files.mkdir(partial);
  const manifest: Manifest = { format: 2, generation, step, files: {} };
  for (const [file, data] of Object.entries(contents)) {
    files.writeFile(join(partial, file), data);
    manifest.files[file] = { bytes: data.length, sha256: sha256(data) };
  }
  files.writeFile(join(partial, MANIFEST), JSON.stringify(manifest, null, 2) + '\n');
  files.flush(partial);
  files.rename(partial, final); // the commit
  files.flush(root);
  pruneCheckpoints(files, runDir, final);
  return final;
}

/**
 * Remove everything but the generation in `keep`: older generations, leftovers of killed writes,
 * format-1 folders. After a commit, and when a run resumes (a kill may have come between a
 * commit and its clean-up, and a finished run writes no new generation to clean up after).
 * Keeping a format-1 checkpoint removes nothing: it goes once a generation replaces it.
 */
export function pruneCheckpoints(files: RunFiles, runDir: string, keep: string): void {
  const root = join(runDir, CHECKPOINTS_DIR);
  if (!keep.startsWith(root)) return;
  for (const entry of files.list(root)) if (join(root, entry) !== keep) files.remove(join(root, entry));
  for (const legacy of LEGACY) if (files.exists(join(runDir, legacy))) files.remove(join(runDir, legacy));
}

/** The manifest of a complete generation folder, checked against the files present (sizes only: cheap). */
function readManifest(files: RunFiles, dir: string, generation: number, step: number): Manifest {
  const path = join(dir, MANIFEST);
  if (!files.exists(path)) throw new CheckpointError(`${path}: missing from a complete checkpoint generation`);
  let m: Manifest;
  try {
    m = parseJson(files, path) as Manifest;
  } catch (e) {
    throw new CheckpointError(`${path}: damaged checkpoint manifest (${(e as Error).message})`);
  }
  if (m?.format !== 2 || m.generation !== generation || m.step !== step || typeof m.files !== 'object' || m.files === null) {
    throw new CheckpointError(`${path}: damaged checkpoint manifest (expected format 2, generation ${generation}, step ${step}, and a file list)`);
  }
  for (const [file, { bytes }] of Object.entries(m.files)) {
    const p = join(dir, file);
    if (!files.exists(p)) throw new CheckpointError(`${p}: missing (listed in ${path})`);
    const size = files.size(p);
    if (size !== bytes) throw new CheckpointError(`${p}: ${size} bytes, but ${path} records ${bytes}: the file is damaged`);
  }
  return m;
}

/** A format-1 checkpoint folder: complete once meta.json (written last) is there. null: incomplete. */
function readLegacy(files: RunFiles, dir: string, wasSwappedIn: boolean): FoundCheckpoint | null {
  const meta = join(dir, 'meta.json');
  // `checkpoint.tmp` without meta.json is a write that was cut short; `checkpoint` and `.old` were complete when renamed.
  if (!files.exists(meta)) {
    if (!wasSwappedIn) return null;
    throw new CheckpointError(`${meta}: missing, so the checkpoint in ${dir} is damaged`);
  }
  let step: unknown;
  try {
    step = (parseJson(files, meta) as { step?: unknown }).step;
  } catch (e) {
    throw new CheckpointError(`${meta}: damaged checkpoint metadata (${(e as Error).message})`);
  }
  if (!Number.isInteger(step) || (step as number) < 0) throw new CheckpointError(`${meta}: damaged checkpoint metadata (step is ${JSON.stringify(step)})`);
  for (const f of LEGACY_FILES) if (!files.exists(join(dir, f))) throw new CheckpointError(`${join(dir, f)}: missing from the checkpoint`);
  return { dir, step: step as number, manifest: null };
}

/**
 * The recovery routine: the newest complete checkpoint of a run folder (a generation, else the
 * newest complete format-1 folder), and the complete-looking ones that are damaged. Sizes are
 * checked here; checksums when the files are read (`readCheckpointFiles`).
 */
export function findCheckpoint(files: RunFiles, runDir: string): CheckpointSearch {
  const damaged: string[] = [];
  const root = join(runDir, CHECKPOINTS_DIR);
  const complete = files.list(root)
    .map((name) => ({ name, m: GENERATION.exec(name) }))
    .filter(({ m }) => m !== null && m[3] === undefined)
    .map(({ name, m }) => ({ dir: join(root, name), generation: Number(m![1]), step: Number(m![2]) }))
    .sort((a, b) => b.generation - a.generation);
  for (const g of complete) {
    try {
      return { newest: { dir: g.dir, step: g.step, manifest: readManifest(files, g.dir, g.generation, g.step) }, damaged };
    } catch (e) {
      if (!(e instanceof CheckpointError)) throw e;
      damaged.push(e.message);
    }
  }
  let newest: FoundCheckpoint | null = null;
  for (const name of LEGACY) {
    const dir = join(runDir, name);
    if (!files.exists(dir)) continue;
    try {
      const found = readLegacy(files, dir, name !== 'checkpoint.tmp');
      if (found !== null && (newest === null || found.step > newest.step)) newest = found;
    } catch (e) {
      if (!(e instanceof CheckpointError)) throw e;
      damaged.push(e.message);
    }
  }
  return { newest, damaged };
}

/** The files of a found checkpoint by name, each verified against the manifest's checksum (format 1: read as they are). */
export function readCheckpointFiles(files: RunFiles, found: FoundCheckpoint): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  if (found.manifest === null) {
    for (const f of LEGACY_FILES) out[f] = files.readFile(join(found.dir, f));
    return out;
  }
  for (const [file, { bytes, sha256: expected }] of Object.entries(found.manifest.files)) {
    const path = join(found.dir, file);
    const data = files.readFile(path);
    if (data.length !== bytes) throw new CheckpointError(`${path}: ${data.length} bytes, but the manifest records ${bytes}: the file is damaged`);
    const actual = sha256(data);
    if (actual !== expected) throw new CheckpointError(`${path}: checksum mismatch (SHA-256 ${actual.slice(0, 12)}…, the manifest records ${expected.slice(0, 12)}…): the file is damaged`);
    out[file] = data;
  }
  return out;
}
