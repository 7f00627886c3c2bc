/**
 * "Did you mean" suggestions for env ids, flags and config keys: the
 * Damerau–Levenshtein distance (insertions, deletions, substitutions and swaps of
 * two neighbouring characters, each costing 1), so `--totl-steps` and
 * `--toatl-steps` both find `--total-steps`.
 */

/** Edit distance between `a` and `b` counting a swap of adjacent characters as one edit (unrestricted Damerau–Levenshtein). */
export function damerauLevenshtein(a: string, b: string): number {
  const infinity = a.length + b.length;
  // Row/column 0 of the classic table hold `infinity`; d[i + 1][j + 1] is the distance of a[0..i) and b[0..j).
  const d: number[][] = Array.from({ length: a.length + 2 }, () => new Array<number>(b.length + 2).fill(0));
  d[0]![0] = infinity;
  for (let i = 0; i <= a.length; i++) { d[i + 1]![0] = infinity; d[i + 1]![1] = i; }
  for (let j = 0; j <= b.length; j++) { d[0]![j + 1] = infinity; d[1]![j + 1] = j; }
  /** Last row (1-based) in which each character of `a` was seen. */
  const lastRow = new Map<string, number>();
  for (let i = 1; i <= a.length; i++) {
    let lastMatchCol = 0;
    for (let j = 1; j <= b.length; j++) {
      const i1 = lastRow.get(b[j - 1]!) ?? 0, j1 = lastMatchCol;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      if (cost === 0) lastMatchCol = j;
      d[i + 1]![j + 1] = Math.min(
        d[i]![j]! + cost,
        d[i + 1]![j]! + 1,
        d[i]![j + 1]! + 1,
        d[i1]![j1]! + (i - i1 - 1) + 1 + (j - j1 - 1),
      );
    }
    lastRow.set(a[i - 1]!, i);
  }
  return d[a.length + 1]![b.length + 1]!;
}

export interface CloseMatchOptions {
  /** Largest distance accepted (default: a third of the query's length, at least 2). */
  maxDistance?: number;
  /** Most suggestions returned (default 3). */
  limit?: number;
  /** Map each string before comparing (e.g. lower-casing); the candidates are returned as given. */
  normalize?: (s: string) => string;
}

/** Candidates within a small edit distance of `query`, nearest first (ties alphabetical). */
export function closeMatches(query: string, candidates: Iterable<string>, opts: CloseMatchOptions = {}): string[] {
  const norm = opts.normalize ?? ((s: string) => s);
  const q = norm(query);
  const maxDistance = opts.maxDistance ?? Math.max(2, Math.floor(q.length / 3));
  return [...new Set(candidates)]
    .map((candidate) => ({ candidate, distance: damerauLevenshtein(q, norm(candidate)) }))
    .filter((s) => s.distance <= maxDistance)
    .sort((x, y) => x.distance - y.distance || x.candidate.localeCompare(y.candidate))
    .slice(0, opts.limit ?? 3)
    .map((s) => s.candidate);
}
