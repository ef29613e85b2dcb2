/**
 * Emits `generated/entities.ts` from entities.yaml: the types PDK results and arguments use
 * (Route, Service, Consumer, Credential, MemoryStats, MultiMap, …).
 */
import type { IdlModel } from '../idl/model.js';
import { header, render } from './common.js';
import { emitTypeDeclarations } from './types.js';

/** `generated/entities.ts`: the entity types PDK results and arguments use. */
export function emitEntities(idl: IdlModel): string {
  return render('entities', {
    header: header([idl.files.entities]),
    types: emitTypeDeclarations(idl.types.filter((t) => t.origin === 'entities')),
  });
}
