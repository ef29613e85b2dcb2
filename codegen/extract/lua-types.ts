/**
 * Turns the type words of Kong's ldoc (`string|nil`, `bool`, `err`, `array of strings|string`)
 * into the IDL's type expressions in Lua terms (`string | nil`, `boolean`, `string[]`). Only
 * spelling is normalised here; what a type means over MsgPack is pdk-overrides.yaml's business.
 */

/** A `@tparam`/`@treturn` split into its type, its name (tparam) and the rest. */
export interface TypedText {
  /** The raw type as written, e.g. `array of strings|string`. */
  rawType: string;
  /** Alternatives after normalisation, e.g. `['string[]', 'string']`. */
  types: string[];
  /** Whether an alternative was the `err` shorthand for an error message. */
  errWord: boolean;
  rest: string;
}

// ldoc spells some types loosely; the IDL wants one name per type.
const ALIASES: Record<string, string> = {
  bool: 'boolean',
  int: 'number',
  integer: 'number',
  str: 'string',
  tbl: 'table',
  func: 'function',
};

function normaliseOne(word: string): { type: string; err: boolean } {
  const w = word.trim().replace(/^`|`$/g, '');
  if (w === 'err' || w === 'error') return { type: 'string', err: true };
  const arrayOf = /^array of (\w+?)s?$/.exec(w);
  if (arrayOf) return { type: `${ALIASES[arrayOf[1]!] ?? arrayOf[1]}[]`, err: false };
  return { type: ALIASES[w] ?? w, err: false };
}

/**
 * Splits `text` (what follows `@tparam` or `@treturn`) into its type and the rest. ldoc takes
 * the first word as the type, so `array of strings|string value` would read as type `array`
 * and name `of`; Kong means one type `array of strings|string`, and so does this reader.
 */
export function splitTyped(text: string): TypedText {
  const m = /^(array of \S+|\S+)\s*(.*)$/s.exec(text.trim());
  const rawType = m?.[1] ?? '';
  const rest = m?.[2] ?? '';
  let errWord = false;
  const types = rawType
    .split('|')
    .filter((w) => w.length > 0)
    .map((w) => {
      const one = normaliseOne(w);
      if (one.err) errWord = true;
      return one.type;
    });
  return { rawType, types, errWord, rest };
}

/** `['string', 'nil']` → `string | nil`. */
export function joinTypes(types: readonly string[]): string {
  return types.join(' | ');
}

/** Whether a Lua type cannot cross MsgPack at all (a function or an FFI cdata). */
export function unsendableType(type: string): string | undefined {
  return type
    .split('|')
    .map((t) => t.trim())
    .find((t) => t === 'function' || t === 'cdata' || t === 'userdata' || t === 'thread');
}
