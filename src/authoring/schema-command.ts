/**
 * `kong-ts-pdk schema <plugin file>`: prints or writes the schemas derived from a TypeScript
 * plugin's config type (the derivation is schema-derivation.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseFlags, usage, UsageError, type FlagSpec } from '../cli/args.js';
import { errorText } from '../log.js';
import { sidecarPath } from '../schema/implicit-schema.js';
import { deriveSchemas, type DerivedSchemas } from './schema-derivation.js';

const FLAGS: readonly FlagSpec[] = [
  { names: ['kong-only'], key: 'kongOnly', help: "print only Kong's schema" },
  { names: ['json-schema-only'], key: 'jsonOnly', help: 'print only the JSON Schema' },
  {
    names: ['write', 'w'],
    key: 'write',
    help: 'write <file minus extension>.schema.json next to the plugin (read by the server when the plugin exports no Schema)',
  },
  {
    names: ['type'],
    key: 'type',
    value: true,
    arg: '<name>',
    help: 'the config type (default: implements KongPlugin<T>, PluginModule<T>, else a type named Config or …Config)',
  },
  {
    names: ['name'],
    key: 'name',
    value: true,
    arg: '<plugin>',
    help: "the plugin name in Kong's schema (default: the Name export, else the file name)",
  },
  { names: ['h', 'help'], key: 'help', help: 'print this help' },
];

/**
 * `kong-ts-pdk schema <plugin file> [--json-schema-only|--kong-only] [--write]`: prints
 * `{"kong": …, "jsonSchema": …}` (or one of them) on stdout, warnings on stderr; `--write`
 * writes both to the sidecar file instead. Exit status 0 (also for --help), 1 (derivation error), 2 (usage).
 */
export async function runSchema(argv: string[]): Promise<number> {
  let flags: Record<string, string | number | boolean | undefined>;
  let file: string;
  try {
    const parsed = parseFlags(argv, FLAGS);
    flags = parsed.flags;
    if (flags.help) {
      process.stdout.write(
        usage(
          'kong-ts-pdk schema <plugin file> [flags]',
          "Derive a TypeScript plugin's config schemas (Kong's and JSON Schema) from its config type.",
          FLAGS,
        ),
      );
      return 0;
    }
    if (parsed.positional.length !== 1) throw new UsageError('schema takes exactly one plugin file');
    if (flags.kongOnly && flags.jsonOnly) throw new UsageError('--kong-only and --json-schema-only exclude each other');
    if (flags.write && (flags.kongOnly || flags.jsonOnly))
      throw new UsageError('--write writes both schemas; drop --kong-only/--json-schema-only');
    file = parsed.positional[0]!;
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`kong-ts-pdk schema: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  let derived: DerivedSchemas;
  try {
    derived = deriveSchemas(file, {
      ...(typeof flags.type === 'string' ? { typeName: flags.type } : {}),
      ...(typeof flags.name === 'string' ? { name: flags.name } : {}),
    });
  } catch (e) {
    process.stderr.write(`kong-ts-pdk schema: ${errorText(e)}\n`);
    return 1;
  }
  for (const w of derived.warnings) process.stderr.write(`kong-ts-pdk schema: warning: ${w}\n`);
  const both = { kong: derived.kong, jsonSchema: derived.jsonSchema };
  if (flags.write) {
    const target = sidecarPath(path.resolve(file));
    fs.writeFileSync(target, JSON.stringify(both, null, 2) + '\n');
    process.stderr.write(`wrote ${target} (config type ${derived.configTypeName})\n`);
    return 0;
  }
  const out = flags.kongOnly ? derived.kong : flags.jsonOnly ? derived.jsonSchema : both;
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
  return 0;
}
