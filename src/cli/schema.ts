/** `hyperrl schema`: the JSON Schema of train config files, for editor completion and checks (docs/hyperrl.schema.json). */
import { ALGORITHMS } from '../algos/registry.js';
import { trainConfigJsonSchema, type JsonSchema } from '../train/config-file.js';
import { ConfigError } from '../core/config.js';
import { RUN_SCHEMA } from '../train/run-config.js';

export const trainConfigSchema = (): JsonSchema =>
  trainConfigJsonSchema(RUN_SCHEMA as never, Object.fromEntries(ALGORITHMS.map((a) => [a.name, a.schema as never])), RUN_SCHEMA.algo.default);

export function schemaCommand(args: string[]): number {
  if (args.includes('--help') || args.includes('-h')) {
    console.log('usage: hyperrl schema > hyperrl.schema.json   the JSON Schema of `hyperrl train --config` files (YAML: # yaml-language-server: $schema=...)');
    return 0;
  }
  if (args.length > 0) throw new ConfigError(`hyperrl schema: unexpected argument '${args[0]}'`);
  console.log(JSON.stringify(trainConfigSchema(), null, 2));
  return 0;
}
