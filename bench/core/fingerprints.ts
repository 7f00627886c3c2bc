/**
 * Developer tool: fixed-seed fingerprints of short training runs, to check that a speed-up
 * changed no floating-point result. Each run is a child `hyperrl train` process on the native
 * backend with HYPERRL_THREADS set; its fingerprint is a SHA-256 over the logged metrics
 * (wall-clock fields removed) and the final checkpoint's parameters and optimiser state.
 * Prints one line per run and thread count and, with --compare FILE, the runs whose
 * fingerprint differs from an earlier output (exit status 1 if any).
 *   node dist/bench/core/fingerprints.js [--threads 1,2] [--only td3-mlp,...] [--out FILE] [--compare FILE]
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findCheckpoint } from '../../src/train/checkpoint-store.js';
import { nodeRunFiles } from '../../src/train/run-files.js';

const CLI = new URL('../../src/cli/main.js', import.meta.url).pathname;

/** Pendulum runs past learning starts, so every run makes a few hundred updates (paper: 40, it is 8.5M parameters per Q). */
const BASE = ['--env', 'Pendulum-v1', '--learning-starts', '1000', '--random-steps', '1000', '--eval-episodes', '1', '--log-every', '50', '--quiet'];
const RUNS: Record<string, string[]> = {
  'td3-mlp': ['--algo', 'td3', '--total-steps', '1400'],
  'td3-compact': ['--algo', 'td3', '--critic', 'hyper', '--hyper-preset', 'compact', '--total-steps', '1200'],
  'td3-paper': ['--algo', 'td3', '--critic', 'hyper', '--hyper-preset', 'paper', '--batch-size', '100', '--total-steps', '1040'],
  'sac-mlp': ['--algo', 'sac', '--total-steps', '1400'],
  'sac-compact': ['--algo', 'sac', '--critic', 'hyper', '--hyper-preset', 'compact', '--total-steps', '1200'],
};

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
}

/** Metrics lines without wall-clock fields. */
function metricsText(dir: string): string {
  return readFileSync(join(dir, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => {
    const o = JSON.parse(l) as Record<string, unknown>;
    for (const k of Object.keys(o)) if (k.startsWith('perf/') || k === 'time' || k === 'wallTime') delete o[k];
    return JSON.stringify(o);
  }).join('\n');
}

function fingerprint(name: string, threads: number): string {
  const runs = mkdtempSync(join(tmpdir(), `hyperrl-fp-${name}-`));
  const steps = RUNS[name]![RUNS[name]!.indexOf('--total-steps') + 1]!;
  const args = [CLI, 'train', ...BASE, ...RUNS[name]!, '--eval-every', steps, '--checkpoint-every', steps, '--runs-dir', runs];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', env: { ...process.env, HYPERRL_BACKEND: 'native', HYPERRL_THREADS: String(threads) } });
  if (r.status !== 0) throw new Error(`${name} (${threads} threads) failed with status ${r.status}: ${r.stderr}`);
  const dir = join(runs, readdirSync(runs)[0]!);
  const newest = findCheckpoint(nodeRunFiles, dir).newest;
  if (newest === null) throw new Error(`${name}: ${dir} has no checkpoint`);
  const h = createHash('sha256').update(metricsText(dir));
  for (const f of ['params.safetensors', 'optim.safetensors']) h.update(readFileSync(join(newest.dir, f)));
  rmSync(runs, { recursive: true, force: true });
  return h.digest('hex').slice(0, 16);
}

const threadCounts = (flag('--threads') ?? '1,2').split(',').map(Number);
const names = (flag('--only') ?? Object.keys(RUNS).join(',')).split(',');
const lines: string[] = [];
for (const name of names) {
  if (RUNS[name] === undefined) throw new Error(`unknown run '${name}'; expected one of ${Object.keys(RUNS).join(', ')}`);
  for (const t of threadCounts) {
    const line = `${name} threads=${t} ${fingerprint(name, t)}`;
    console.log(line);
    lines.push(line);
  }
}
const out = flag('--out');
if (out !== undefined) writeFileSync(out, lines.join('\n') + '\n');
const compare = flag('--compare');
if (compare !== undefined) {
  const before = new Map(readFileSync(compare, 'utf8').split('\n').filter(Boolean).map((l) => { const p = l.split(' '); return [`${p[0]} ${p[1]}`, p[2]] as const; }));
  let differ = 0;
  for (const l of lines) {
    const p = l.split(' ');
    const was = before.get(`${p[0]} ${p[1]}`);
    if (was !== undefined && was !== p[2]) { console.log(`DIFFERS: ${p[0]} ${p[1]}: ${was} -> ${p[2]}`); differ++; }
  }
  console.log(differ === 0 ? 'all fingerprints unchanged' : `${differ} fingerprint(s) changed`);
  if (differ > 0) process.exitCode = 1;
}
