/**
 * The child process the server spawns to derive a `.ts` plugin's config schema when the plugin
 * exports no `Schema`, has no sidecar and the on-disk cache misses (src/schema/implicit-schema.ts).
 * Deriving needs ts-morph and TypeScript (≈ 250 ms and tens of MB); running it here keeps them
 * out of the server process, which Kong starts at every boot.
 *
 *   node schema-derivation-process.js <plugin file>
 *
 * Writes one JSON line on stdout, a {@link DerivationReply}, and exits 0; a crash exits non-zero
 * and the server reports the plugin's load as failed with the stderr text.
 */
import * as path from 'node:path';
import type { DerivationReply } from '../schema/implicit-schema.js';
import { deriveSchemas, SchemaDerivationError } from './schema-derivation.js';

/** Derives the schema of `file` as the server's loader wants it. */
export function derivationReply(file: string): DerivationReply {
  try {
    const d = deriveSchemas(file);
    return {
      ok: true,
      configTypeName: d.configTypeName,
      fields: d.kong.fields[0].config.fields,
      dependencies: d.dependencies,
    };
  } catch (e) {
    if (!(e instanceof SchemaDerivationError)) throw e;
    return { ok: false, code: e.code, message: e.message };
  }
}

if (require.main === module) {
  const file = process.argv[2];
  if (process.argv.length !== 3 || file === undefined) {
    process.stderr.write(`usage: node ${path.basename(__filename)} <plugin file>\n`);
    process.exitCode = 2;
  } else {
    process.stdout.write(`${JSON.stringify(derivationReply(file))}\n`);
  }
}
