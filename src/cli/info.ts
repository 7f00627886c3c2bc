/** `hyperrl info`: what this machine offers and which backend hyperrl will use. */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { BACKEND_NAMES, createBackend, defaultBackend, probeBackends } from '../tensor/backends/index.js';
import { nativeInfo } from '../tensor/backends/native/index.js';
import { packageVersion } from '../core/version.js';

/** CPU SIMD features from /proc/cpuinfo, for machines where the native addon did not build. */
function cpuinfoFeatures(): string[] {
  try {
    const flags = /^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '';
    return flags.trim().split(/\s+/).filter((f) => /^(avx512f|avx512vl|avx512bw|avx2|fma|sse4_2)$/.test(f));
  } catch {
    return [];
  }
}

export function infoLines(): string[] {
  const probe = probeBackends();
  const lines = [
    `hyperrl ${packageVersion()} on Node ${process.version} (${process.platform}-${process.arch})`,
    `cpu: ${cpus()[0]?.model ?? 'unknown'} × ${cpus().length}`,
  ];
  if (probe.native === true) {
    const n = nativeInfo();
    lines.push(`cpu features: ${n.features.join(' ')}`, `native ISA variants here: ${n.isas.join(', ')} (active: ${n.isa})`);
    const source = process.env.HYPERRL_THREADS ? `HYPERRL_THREADS=${process.env.HYPERRL_THREADS}` : 'default: the cores available; --threads N or HYPERRL_THREADS=N to change';
    lines.push(`native threads: ${n.threads} (${source}; ${n.availableCores} cores available to this process); wasm and js: 1`);
  } else {
    lines.push(`cpu features: ${cpuinfoFeatures().join(' ') || 'unknown'}`);
  }
  lines.push('backends:');
  for (const name of BACKEND_NAMES) {
    const status = probe[name];
    lines.push(`  ${name.padEnd(7)} ${status === true ? `ok — ${createBackend(name, { initialElements: 1024 }).detail}` : `unavailable — ${status}`}`);
  }
  let chosen: string;
  try {
    chosen = defaultBackend({ initialElements: 1024 }).name;
  } catch (e) {
    chosen = `none (${(e as Error).message})`;
  }
  const forced = process.env.HYPERRL_BACKEND;
  lines.push(`using: ${chosen}${forced ? ` (HYPERRL_BACKEND=${forced})` : ' (set HYPERRL_BACKEND=native|wasm|js to override)'}`);
  return lines;
}
