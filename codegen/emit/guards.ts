/**
 * Emits run-time checks from type expressions, for the dispatcher: a request's params are
 * checked against the IDL before any handler sees them. Checks are shallow where depth would
 * cost on the hot path (an `any[]` is only checked to be an array).
 */
import type { NamedTypeModel } from '../idl/model.js';
import type { TypeExpr } from '../idl/type-expr.js';

/**
 * A JS boolean expression that is true when `v` conforms to `t`, or undefined when every
 * value conforms (`any`, or a union with an `any` member): the caller then emits no check.
 */
export function guardExpr(t: TypeExpr, v: string, types: ReadonlyMap<string, NamedTypeModel>): string | undefined {
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
        case 'function':
          return `typeof ${v} === "function"`;
        case 'any':
        case 'cdata':
          // Nothing to check: every value is an `any`, and a cdata never crosses MessagePack.
          return undefined;
      }
    case 'literal':
      return `${v} === ${JSON.stringify(t.value)}`;
    case 'array':
      return `Array.isArray(${v})`;
    case 'map':
      // Kong encodes an empty Lua table as an empty array, so [] is an empty map too.
      return `(typeof ${v} === "object" && ${v} !== null && (!Array.isArray(${v}) || ${v}.length === 0))`;
    case 'union': {
      const members = t.members.map((m) => guardExpr(m, v, types));
      if (members.some((m) => m === undefined)) return undefined;
      return `(${members.join(' || ')})`;
    }
    case 'ref': {
      const named = types.get(t.name);
      if (named?.alias) return guardExpr(named.alias, v, types);
      return `is${t.name}(${v})`;
    }
  }
}
