/**
 * Turns a resolved IDL into the files of `generated/`, and checks the emitted code's structure
 * against the IDL: every RPC method has a dispatch entry, every exposed PDK function a call.
 *
 * Each output file is one entry of {@link EMITTERS}; a new generated file is one more entry.
 */
import type { SourceFile } from 'ts-morph';
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

/** One generated file: how to emit it and, for TypeScript, what its AST must contain. */
export interface Emitter {
  file: string;
  emit: (idl: IdlModel) => string;
  /** Checks the formatted AST of a `.ts` file against the IDL; throws on a mismatch. */
  check?: (file: SourceFile, idl: IdlModel) => void;
}

function checkDispatch(file: SourceFile, idl: IdlModel): void {
  const dispatched = new Set(mapLiteralKeys(file, 'DISPATCH'));
  for (const m of idl.methods) {
    if (!dispatched.has(m.wireName)) throw new Error(`generated rpc.ts has no dispatch entry for ${m.wireName}`);
  }
  if (dispatched.size !== idl.methods.length)
    throw new Error('generated rpc.ts dispatches methods the IDL does not declare');
}

function checkPdkCalls(file: SourceFile, idl: IdlModel): void {
  const called = calledMethodNames(file);
  for (const f of idl.functions) {
    if (f.usable !== called.has(f.name)) {
      throw new Error(`generated pdk.ts ${f.usable ? 'does not call' : 'calls'} ${f.name}`);
    }
  }
}

/** Every generated file, in output order. */
export const EMITTERS: readonly Emitter[] = [
  { file: 'entities.ts', emit: emitEntities },
  { file: 'rpc.ts', emit: emitRpc, check: checkDispatch },
  { file: 'pdk.ts', emit: emitPdkClient, check: checkPdkCalls },
  { file: 'pdk-index.json', emit: emitPdkIndex },
  { file: 'PDK.md', emit: emitPdkReference },
  { file: 'index.ts', emit: emitIndex },
  { file: 'wire-codec.ts', emit: emitWireCodec },
];

/** Generates every file; throws when emitted code does not parse or misses an IDL entry. */
export function generate(idl: IdlModel, emitters: readonly Emitter[] = EMITTERS): GeneratedFiles {
  const files: GeneratedFiles = new Map();
  for (const e of emitters) {
    const text = e.emit(idl);
    if (!e.file.endsWith('.ts')) {
      files.set(e.file, text);
      continue;
    }
    const formatted = formatTypeScript(e.file, text);
    e.check?.(formatted.file, idl);
    files.set(e.file, formatted.text);
  }
  return files;
}
