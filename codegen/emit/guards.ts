/**
 * Emits run-time checks from type expressions, for the dispatcher: a request's params are
 * checked against the IDL before any handler sees them. Checks are shallow where depth would
 * cost on the hot path (an `any[]` is only checked to be an array).
 */
import type { NamedTypeModel } from '../idl/model.js';
import type { TypeExpr } from '../idl/type-expr.js';

/** A JS boolean expression that is true when `v` conforms to `t`. */
export function guardExpr(t: TypeExpr, v: string, types: ReadonlyMap<string, NamedTypeModel>): string {
  switch (t.kind) {
    case 'builtin':
      switch (t.name) {
        case 'string':
          return `typeof ${v} === "string"`;
        case 'integer':
          return `(typeof ${v} === "number" && Number.isInteger(${v}))`;
        case 'number':
          return `typeof ${v} === "number"`;
        case 'boolean':
          return `typeof ${v} === "boolean"`;
        case 'true':
          return `${v} === true`;
        case 'false':
          return `${v} === false`;
        case 'nil':
          return `${v} == null`;
        case 'bytes':
          return `${v} instanceof Uint8Array`;
        case 'table':
          return `(typeof ${v} === "object" && ${v} !== null)`;
        default:
          return 'true';
      }
    case 'literal':
      return `${v} === ${JSON.stringify(t.value)}`;
    case 'array':
      return `Array.isArray(${v})`;
    case 'map':
      // Kong encodes an empty Lua table as an empty array, so [] is an empty map too.
      return `(typeof ${v} === "object" && ${v} !== null && (!Array.isArray(${v}) || ${v}.length === 0))`;
    case 'union':
      return `(${t.members.map((m) => guardExpr(m, v, types)).join(' || ')})`;
    case 'ref': {
      const named = types.get(t.name);
      if (named?.alias) return guardExpr(named.alias, v, types);
      return `is${t.name}(${v})`;
    }
  }
}
