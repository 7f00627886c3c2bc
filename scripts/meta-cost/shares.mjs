// Shares of a .cpuprofile's time: self time by function and by file, inclusive time of the functions
// matching a pattern (default: maml|pearl|meta). Native kernels show under one misattributed name
// (the profiler names them after an addon export); the MuJoCo share is the wasm/mujoco lines.
import { readFileSync, readdirSync } from 'node:fs';
const dir = process.argv[2];
const f = readdirSync(dir).filter((x) => x.endsWith('.cpuprofile')).sort().pop();
const p = JSON.parse(readFileSync(`${dir}/${f}`, 'utf8'));
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map(); for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const self = new Map();
for (let i = 0; i < p.samples.length; i++) { const dt = p.timeDeltas[i] ?? 0; self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + dt); }
const total = [...self.values()].reduce((a, b) => a + b, 0);
const fn = new Map(), file = new Map(), incl = new Map();
for (const [id, t] of self) {
  const n = byId.get(id); const cf = n.callFrame;
  const k = `${cf.functionName || '(anon)'} ${cf.url.split('/').slice(-2).join('/')}:${cf.lineNumber}`;
  fn.set(k, (fn.get(k) ?? 0) + t);
  const fk = cf.url.split('/').slice(-2).join('/') || cf.functionName; file.set(fk, (file.get(fk) ?? 0) + t);
  // inclusive per function name (count once per stack)
  const seen = new Set(); let cur = id;
  while (cur !== undefined) { const c2 = byId.get(cur).callFrame; const kk = `${c2.functionName} ${c2.url.split('/').pop()}:${c2.lineNumber}`; if (!seen.has(kk)) { seen.add(kk); incl.set(kk, (incl.get(kk) ?? 0) + t); } cur = parent.get(cur); }
}
const show = (m, n) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, t]) => `${(100 * t / total).toFixed(1).padStart(5)}%  ${k}`).join('\n');
console.log('total ms', (total / 1000).toFixed(0));
console.log('--- self by function\n' + show(fn, 25));
console.log('--- self by file\n' + show(file, 15));
const filt = process.argv[3] ? new RegExp(process.argv[3]) : /maml|pearl|meta/;
console.log('--- inclusive (filtered)\n' + show(new Map([...incl].filter(([k]) => filt.test(k))), 30));
