import { platform } from '#platform';

/** The package version, read from package.json at the package root (dist/src/core → ../../..). */
export function packageVersion(): string {
  const pkg = JSON.parse(new TextDecoder().decode(platform.readFileSync(new URL('../../../package.json', import.meta.url)))) as { version: string };
  return pkg.version;
}
