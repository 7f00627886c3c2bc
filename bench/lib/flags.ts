/**
 * The command-line flags of a benchmark. A benchmark runs for minutes and writes its figures into
 * bench/results/, so `--help` prints the usage and exits, and an unknown flag (a typo) is an
 * error naming it instead of a full run.
 */
export const benchFlags = (name: string, flags: readonly string[]): Set<string> => {
  const usage = `usage: npm run bench:${name}${flags.length > 0 ? ` [-- ${flags.join(' | ')}]` : ''}`;
  const given = process.argv.slice(2);
  if (given.includes('--help') || given.includes('-h')) {
    console.log(usage);
    process.exit(0);
  }
  const unknown = given.filter((flag) => !flags.includes(flag));
  if (unknown.length > 0) {
    console.error(`bench:${name}: unknown option ${unknown.join(', ')}\n${usage}`);
    process.exit(2);
  }
  return new Set(given);
};
