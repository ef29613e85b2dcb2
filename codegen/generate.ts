/**
 * Turns a resolved IDL into the files of `generated/`, and checks the emitted code's structure
 * against the IDL: every RPC method has a dispatch entry, every exposed PDK function a call.
 */
import type { IdlModel } from './idl/model.js';
import { emitEntities } from './emit/entities-file.js';
import { calledMethodNames, formatTypeScript, mapLiteralKeys } from './emit/format.js';
import { emitIndex } from './emit/index-file.js';
import { emitPdkClient } from './emit/pdk-client.js';
import { emitPdkIndex } from './emit/pdk-index.js';
import { emitPdkReference } from './emit/pdk-reference.js';
import { emitRpc } from './emit/rpc.js';
import { emitWireCodec } from './emit/wire-codec.js';

/** Generated files by name (relative to the output directory), in a stable order. */
export type GeneratedFiles = Map<string, string>;

/** Generates every file; throws when emitted code does not parse or misses an IDL entry. */
export function generate(idl: IdlModel): GeneratedFiles {
  const files: GeneratedFiles = new Map();

  files.set('entities.ts', formatTypeScript('entities.ts', emitEntities(idl)).text);

  const rpc = formatTypeScript('rpc.ts', emitRpc(idl));
  const dispatched = new Set(mapLiteralKeys(rpc.file, 'DISPATCH'));
  for (const m of idl.methods) {
    if (!dispatched.has(m.wireName)) throw new Error(`generated rpc.ts has no dispatch entry for ${m.wireName}`);
  }
  if (dispatched.size !== idl.methods.length)
    throw new Error('generated rpc.ts dispatches methods the IDL does not declare');
  files.set('rpc.ts', rpc.text);

  const pdk = formatTypeScript('pdk.ts', emitPdkClient(idl));
  const called = calledMethodNames(pdk.file);
  for (const f of idl.functions) {
    if (f.usable !== called.has(f.name)) {
      throw new Error(`generated pdk.ts ${f.usable ? 'does not call' : 'calls'} ${f.name}`);
    }
  }
  files.set('pdk.ts', pdk.text);

  files.set('pdk-index.json', emitPdkIndex(idl));
  files.set('PDK.md', emitPdkReference(idl));
  files.set('index.ts', formatTypeScript('index.ts', emitIndex(idl)).text);
  files.set('wire-codec.ts', formatTypeScript('wire-codec.ts', emitWireCodec(idl)).text);
  return files;
}
