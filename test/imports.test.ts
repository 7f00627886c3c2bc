/**
 * The import graph of src/: layers import downward only, and no module imports itself
 * through others (type imports count: they order declarations just the same).
 *
 *   cli → experiments → train, diagnostics → algos → nn, envs, replay → tensor → core
 *
 * A folder of src/ is a layer; src/browser.ts and src/index.ts (the package entries, index
 * re-exporting browser) sit above the library layers, src/platform/ (the system: files, threads,
 * environment) below them. `#platform` and `#native-backend` (package.json "imports") count as
 * imports of every module they may resolve to (Node's and the browser's). A module may import its own layer or a lower one; layers of the same level
 * (nn, envs, replay; train, diagnostics) do not import each other, and nothing leaves src/.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// Compiled tests run from dist/test; the sources stay in src/.
const SRC = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src');

/** Each layer's level: a module imports layers of a lower level, or its own layer. */
const LEVEL: Record<string, number> = {
  platform: -1, core: 0, tensor: 1, nn: 2, envs: 2, replay: 2, algos: 3, train: 4, diagnostics: 4, experiments: 5, cli: 6, 'browser.ts': 7, 'index.ts': 8,
};

/** package.json "imports": `#name` → the src-relative modules of its conditions (dist/src/x.js → x.ts). */
const SUBPATH_IMPORTS: Record<string, string[]> = Object.fromEntries(
  Object.entries((JSON.parse(readFileSync(join(SRC, '..', 'package.json'), 'utf8')) as { imports?: Record<string, Record<string, string>> }).imports ?? {})
    .map(([name, targets]) => [name, Object.values(targets).map((t) => t.replace(/^\.\/dist\/src\//, '').replace(/\.js$/, '.ts'))]),
);

/** Static imports and re-exports (also `import type`, over several lines), side-effect imports and `import()`. */
const IMPORT = /^\s*(?:import|export)\b[^;]*?\bfrom\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm;

/** src-relative path of every module → the src-relative modules it imports. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of readdirSync(SRC, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).sort()) {
    const text = readFileSync(join(SRC, file), 'utf8');
    const targets: string[] = [];
    for (const m of text.matchAll(IMPORT)) {
      const spec = (m[1] ?? m[2] ?? m[3])!;
      if (spec.startsWith('.')) targets.push(relative(SRC, resolve(SRC, dirname(file), spec)).replace(/\.js$/, '.ts'));
      else if (spec.startsWith('#')) targets.push(...(SUBPATH_IMPORTS[spec] ?? [`${spec} (not in package.json imports)`]));
    }
    graph.set(file, targets);
  }
  return graph;
}

const layerOf = (module: string): string => module.split('/')[0]!;

/** Strongly connected components with more than one module (or a self-import): the import cycles. */
function cycles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>(), low = new Map<string, number>(), stack: string[] = [], onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || graph.get(v)!.includes(v)) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

const graph = importGraph();

it('reads the imports of every module of src/', () => {
  assert.ok(graph.size > 50, `${graph.size} modules`);
  // The parser sees multi-line, type-only and dynamic imports.
  assert.ok(graph.get('train/run.ts')!.includes('algos/registry.ts'));
  assert.ok(graph.get('cli/main.ts')!.includes('cli/train.ts'), 'dynamic import');
  assert.ok(graph.get('algos/algorithm.ts')!.includes('algos/agent.ts'), 'type-only import');
  assert.ok(['platform/node.ts', 'platform/browser.ts'].every((m) => graph.get('nn/safetensors.ts')!.includes(m)), 'subpath import');
});

it('finds every cycle of a graph, self-imports included, and nothing else', () => {
  const g = new Map([['a.ts', ['b.ts']], ['b.ts', ['c.ts']], ['c.ts', ['a.ts', 'd.ts']], ['d.ts', ['e.ts']], ['e.ts', []], ['f.ts', ['f.ts', 'a.ts']]]);
  assert.deepEqual(cycles(g), [['a.ts', 'b.ts', 'c.ts'], ['f.ts']]);
});

it('imports run downward only: no upward or sideways arrow between layers, nothing outside src/', () => {
  const wrong: string[] = [];
  for (const [from, targets] of graph) {
    for (const to of targets) {
      const a = layerOf(from), b = layerOf(to);
      if (to.startsWith('..')) wrong.push(`${from} → ${to} (outside src/)`);
      else if (!(a in LEVEL) || !(b in LEVEL)) wrong.push(`${from} → ${to} (a folder without a level: add it to LEVEL)`);
      else if (a !== b && LEVEL[b]! >= LEVEL[a]!) wrong.push(`${from} → ${to} (${a} may not import ${b})`);
    }
  }
  assert.deepEqual(wrong, []);
});

it('has no import cycle', () => {
  assert.deepEqual(cycles(graph).map((c) => c.join(' ↔ ')), []);
});
