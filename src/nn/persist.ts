/**
 * Module parameters and Adam state in safetensors files. Parameters are stored by
 * their dotted names; optimiser moments as `m.<name>` / `v.<name>` with the step
 * count in the metadata. Writes are atomic (temp file + rename), so a crash leaves
 * the previous file intact.
 */
import type { Module } from './module.js';
import type { Adam } from './optim.js';
import { readSafetensors, writeSafetensorsAtomic, type SafeTensor } from './safetensors.js';

const f32 = (shape: readonly number[], data: Float32Array<ArrayBuffer>): SafeTensor => ({ dtype: 'F32', shape: [...shape], data });

export async function saveParameters(path: string, module: Module, metadata: Record<string, string> = {}): Promise<void> {
  const tensors: Record<string, SafeTensor> = {};
  for (const [name, { shape, data }] of Object.entries(module.stateDict())) tensors[name] = f32(shape, data);
  await writeSafetensorsAtomic(path, tensors, metadata);
}

/** Load parameters saved by saveParameters; names and shapes must match the module exactly. */
export async function loadParameters(path: string, module: Module): Promise<Record<string, string>> {
  const { tensors, metadata } = await readSafetensors(path);
  const state: Record<string, { shape: readonly number[]; data: ArrayLike<number> }> = {};
  for (const [name, t] of Object.entries(tensors)) state[name] = { shape: t.shape, data: t.data as ArrayLike<number> };
  try {
    module.loadStateDict(state);
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
  return metadata;
}

export async function saveOptimizer(path: string, module: Module, opt: Adam): Promise<void> {
  const names = module.namedParameters().map(([n]) => n);
  const s = opt.state();
  if (s.m.length !== names.length) throw new Error(`saveOptimizer: optimiser has ${s.m.length} parameters, module has ${names.length}`);
  const tensors: Record<string, SafeTensor> = {};
  const shapes = module.parameters().map((p) => p.shape);
  names.forEach((n, i) => {
    tensors[`m.${n}`] = f32(shapes[i]!, s.m[i]!);
    tensors[`v.${n}`] = f32(shapes[i]!, s.v[i]!);
  });
  await writeSafetensorsAtomic(path, tensors, { step: String(s.step), lr: String(opt.config.lr) });
}

export async function loadOptimizer(path: string, module: Module, opt: Adam): Promise<void> {
  const { tensors, metadata } = await readSafetensors(path);
  const names = module.namedParameters().map(([n]) => n);
  const pick = (key: string): ArrayLike<number> => {
    const t = tensors[key];
    if (t === undefined) throw new Error(`${path}: missing optimiser state '${key}'`);
    return t.data as ArrayLike<number>;
  };
  const step = Number(metadata.step);
  if (!Number.isInteger(step) || step < 0) throw new Error(`${path}: metadata 'step' is not a step count: ${metadata.step}`);
  opt.loadState({ step, m: names.map((n) => pick(`m.${n}`)), v: names.map((n) => pick(`v.${n}`)) });
}
