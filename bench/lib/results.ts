import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Write a benchmark's result as bench/results/<name>-<date>[-quick].json; returns the path. */
export function writeBenchResult(name: string, result: { date: string; quick: boolean }, outDir = join(process.cwd(), 'bench', 'results')): string {
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `${name}-${result.date.slice(0, 10)}${result.quick ? '-quick' : ''}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  return file;
}
