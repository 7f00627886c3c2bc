/**
 * User modules that register custom envs (`hyperrl train --import ./my-env.mjs`, a config
 * file's or an experiment spec's `modules`): imported before anything makes an env, so
 * `register('MyEnv-v0', …)` has run by then. A module is imported once per process
 * however often it is named (Node caches it by URL).
 */
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../core/config.js';

/** Absolute path of a module named on the command line or in a file (relative to `base`). */
export const modulePath = (path: string, base = process.cwd()): string => (isAbsolute(path) ? path : resolve(base, path));

export async function importModules(paths: readonly string[]): Promise<void> {
  for (const path of paths) {
    if (!existsSync(path)) throw new ConfigError(`env module ${path} does not exist`);
    try {
      await import(pathToFileURL(path).href);
    } catch (e) {
      throw new Error(`env module ${path} failed to load: ${(e as Error).message}`, { cause: e });
    }
  }
}
