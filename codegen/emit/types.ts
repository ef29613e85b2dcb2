/**
 * Emits TypeScript declarations for the IDL's named types.
 *
 * For `- {name: ForeignKey, fields: [{name: id, type: string}]}` it writes
 * `export interface ForeignKey { id: string; }`; for `- {name: MultiMap, alias: "map<string, string[]>"}`
 * it writes `export type MultiMap = Record<string, string[]>;`.
 */
import type { NamedTypeModel } from '../idl/model.js';
import { toTs } from '../idl/type-expr.js';
import { docComment, render } from './common.js';

/** The declarations of `types`, as text (used by the entities and RPC emitters). */
export function emitTypeDeclarations(types: readonly NamedTypeModel[]): string {
  return render('types', {
    types: types.map((t) => ({
      name: t.name,
      doc: t.doc ? docComment([t.doc]) : undefined,
      alias: t.alias ? toTs(t.alias) : undefined,
      open: t.open,
      fields: (t.fields ?? []).map((f) => ({
        name: f.name,
        optional: f.optional,
        type: toTs(f.type),
        doc: f.doc ? docComment([f.doc], '  ') : undefined,
      })),
    })),
  });
}
