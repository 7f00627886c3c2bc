/** Instrumentation for the no-allocation tests. */

/** Count typed arrays and ArrayBuffers created while fn runs (constructors and views). */
export function countTypedArrayAllocations(fn: () => void): number {
  let count = 0;
  const g = globalThis as Record<string, unknown>;
  const names = ['Float32Array', 'Float64Array', 'Int32Array', 'Uint8Array', 'ArrayBuffer', 'SharedArrayBuffer'];
  const saved = names.map((n) => g[n]);
  type Proto = { subarray: (...a: unknown[]) => unknown };
  const protos = [Float32Array.prototype, Float64Array.prototype] as unknown as Proto[];
  const savedSub = protos.map((p) => p.subarray);
  try {
    for (const n of names) {
      g[n] = new Proxy(g[n] as object, { construct(target, args, newTarget) { count++; return Reflect.construct(target as never, args, newTarget); } });
    }
    protos.forEach((p, i) => { p.subarray = function (this: unknown, ...a: unknown[]) { count++; return savedSub[i]!.apply(this, a); }; });
    fn();
  } finally {
    names.forEach((n, i) => { g[n] = saved[i]; });
    protos.forEach((p, i) => { p.subarray = savedSub[i]!; });
  }
  return count;
}
