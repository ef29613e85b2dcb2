/**
 * The IDL's type expressions: a small language shared by rpc.yaml, entities.yaml and the PDK
 * files, e.g. `string | nil`, `map<string, string[]>`, `Route | nil`, `"set" | "add"`.
 *
 * Builtins are Lua-flavoured because the PDK facts are read from Lua docs; `bytes` marks raw
 * bytes (msgpack bin) and `table` an untyped Lua table.
 */

/** A parsed type expression. */
export type TypeExpr =
  | { kind: 'builtin'; name: BuiltinType }
  | { kind: 'ref'; name: string }
  | { kind: 'literal'; value: string }
  | { kind: 'array'; element: TypeExpr }
  | { kind: 'map'; key: TypeExpr; value: TypeExpr }
  | { kind: 'union'; members: TypeExpr[] };

/** Names with a fixed meaning; anything else must name a declared type. */
export const BUILTIN_TYPES = [
  'string',
  'number',
  'integer',
  'boolean',
  'true',
  'false',
  'nil',
  'any',
  'table',
  'bytes',
  'function',
  'cdata',
] as const;

/** One of {@link BUILTIN_TYPES}. */
export type BuiltinType = (typeof BUILTIN_TYPES)[number];

const BUILTINS: ReadonlySet<string> = new Set(BUILTIN_TYPES);

/** A syntax error in a type expression, with the column it was found at. */
export class TypeSyntaxError extends Error {
  constructor(
    message: string,
    readonly column: number,
  ) {
    super(message);
  }
}

const TOKEN = /\s*(?:(map)\s*<|([A-Za-z_][A-Za-z0-9_.]*)|("(?:[^"\\]|\\.)*")|(\[\s*\])|([|<>,()]))/y;

interface Token {
  text: string;
  kind: 'map' | 'ident' | 'literal' | 'brackets' | 'punct';
  at: number;
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  while (pos < source.length) {
    if (/^\s*$/.test(source.slice(pos))) break;
    TOKEN.lastIndex = pos;
    const m = TOKEN.exec(source);
    if (!m) throw new TypeSyntaxError(`unexpected character '${source.slice(pos).trim()[0] ?? ''}'`, pos);
    const at = m.index + (m[0].length - m[0].trimStart().length);
    if (m[1] !== undefined) tokens.push({ text: 'map<', kind: 'map', at });
    else if (m[2] !== undefined) tokens.push({ text: m[2], kind: 'ident', at });
    else if (m[3] !== undefined) tokens.push({ text: m[3], kind: 'literal', at });
    else if (m[4] !== undefined) tokens.push({ text: '[]', kind: 'brackets', at });
    else tokens.push({ text: m[5] ?? '', kind: 'punct', at });
    pos = TOKEN.lastIndex;
  }
  return tokens;
}

/** Parses a type expression; throws {@link TypeSyntaxError} on malformed input. */
export function parseTypeExpr(source: string): TypeExpr {
  const tokens = tokenize(source);
  let i = 0;
  const peek = (): Token | undefined => tokens[i];
  const fail = (what: string): never => {
    const t = peek();
    throw new TypeSyntaxError(t ? `${what}, found '${t.text}'` : `${what} at end of input`, t ? t.at : source.length);
  };
  const expect = (text: string): void => {
    if (peek()?.text !== text) fail(`expected '${text}'`);
    i++;
  };

  function union(): TypeExpr {
    const members = [postfix()];
    while (peek()?.text === '|') {
      i++;
      members.push(postfix());
    }
    return members.length === 1 ? members[0]! : { kind: 'union', members };
  }
  function postfix(): TypeExpr {
    let t = primary();
    while (peek()?.kind === 'brackets') {
      i++;
      t = { kind: 'array', element: t };
    }
    return t;
  }
  function primary(): TypeExpr {
    const t = peek();
    if (!t) return fail('expected a type');
    if (t.kind === 'map') {
      i++;
      const key = union();
      expect(',');
      const value = union();
      expect('>');
      return { kind: 'map', key, value };
    }
    if (t.text === '(') {
      i++;
      const inner = union();
      expect(')');
      return inner;
    }
    if (t.kind === 'literal') {
      i++;
      return { kind: 'literal', value: JSON.parse(t.text) as string };
    }
    if (t.kind === 'ident') {
      i++;
      return BUILTINS.has(t.text) ? { kind: 'builtin', name: t.text as BuiltinType } : { kind: 'ref', name: t.text };
    }
    return fail('expected a type');
  }

  const result = union();
  if (i < tokens.length) fail('unexpected trailing input');
  return result;
}

/** Every named type an expression refers to, in order of appearance. */
export function referencedNames(t: TypeExpr): string[] {
  switch (t.kind) {
    case 'ref':
      return [t.name];
    case 'array':
      return referencedNames(t.element);
    case 'map':
      return [...referencedNames(t.key), ...referencedNames(t.value)];
    case 'union':
      return t.members.flatMap(referencedNames);
    default:
      return [];
  }
}

/** True when the value may be nil (the expression is or contains `nil`/`any`). */
export function isNilable(t: TypeExpr): boolean {
  if (t.kind === 'builtin') return t.name === 'nil' || t.name === 'any';
  if (t.kind === 'union') return t.members.some(isNilable);
  return false;
}

/** Builtins that cannot cross MsgPack at all. */
export function mentionsUnsendable(t: TypeExpr): string | undefined {
  if (t.kind === 'builtin' && (t.name === 'function' || t.name === 'cdata')) return t.name;
  if (t.kind === 'union') {
    for (const m of t.members) {
      const u = mentionsUnsendable(m);
      if (u) return u;
    }
  }
  return undefined;
}

/** How a type expression reads in TypeScript (Lua nil → `undefined`, bytes → `Buffer`). */
export function toTs(t: TypeExpr, position: 'param' | 'result' = 'result'): string {
  switch (t.kind) {
    case 'builtin':
      switch (t.name) {
        case 'string':
          return 'string';
        case 'number':
        case 'integer':
          return 'number';
        case 'boolean':
          return 'boolean';
        case 'true':
          return 'true';
        case 'false':
          return 'false';
        case 'nil':
          return 'undefined';
        case 'any':
          return 'unknown';
        case 'table':
          return 'KongTable';
        case 'bytes':
          // Plugins may hand any byte container to Kong; Kong's bytes reach them as Buffer.
          return position === 'param' ? 'Uint8Array' : 'Buffer';
        case 'function':
        case 'cdata':
          return 'never';
      }
      break;
    case 'ref':
      return t.name;
    case 'literal':
      return JSON.stringify(t.value);
    case 'array': {
      const inner = toTs(t.element, position);
      return t.element.kind === 'union' ? `(${inner})[]` : `${inner}[]`;
    }
    case 'map':
      return `Record<${toTs(t.key, position)}, ${toTs(t.value, position)}>`;
    case 'union': {
      const parts: string[] = [];
      for (const m of t.members) {
        const s = toTs(m, position);
        if (!parts.includes(s)) parts.push(s);
      }
      // `unknown` absorbs every other member.
      return parts.includes('unknown') ? 'unknown' : parts.join(' | ');
    }
  }
  throw new Error('unreachable');
}

/** Canonical text of an expression (used in docs and the index). */
export function formatTypeExpr(t: TypeExpr): string {
  switch (t.kind) {
    case 'builtin':
      return t.name;
    case 'ref':
      return t.name;
    case 'literal':
      return JSON.stringify(t.value);
    case 'array':
      return t.element.kind === 'union' ? `(${formatTypeExpr(t.element)})[]` : `${formatTypeExpr(t.element)}[]`;
    case 'map':
      return `map<${formatTypeExpr(t.key)}, ${formatTypeExpr(t.value)}>`;
    case 'union':
      return t.members.map(formatTypeExpr).join(' | ');
  }
}
