import { readFileSync } from 'node:fs';

/** The package version, read from package.json at the package root (dist/src/cli → ../../..). */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
