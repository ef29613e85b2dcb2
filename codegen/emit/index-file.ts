/** Emits `generated/index.ts`, the one module `src/` imports the generated vocabulary from. */
import type { IdlModel } from '../idl/model.js';
import { header } from './common.js';

/** `generated/index.ts`. */
export function emitIndex(idl: IdlModel): string {
  const sources = [
    idl.files.rpc,
    idl.files.entities,
    idl.files.pdk,
    ...(idl.files.overrides ? [idl.files.overrides] : []),
  ];
  return [
    header(sources),
    '',
    'export * from "./entities.js";',
    'export * from "./rpc.js";',
    'export * from "./pdk.js";',
    '',
  ].join('\n');
}
