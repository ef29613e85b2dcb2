/**
 * Finds where a Lua file defines things, in all the shapes Kong's PDK uses:
 *
 *   function _REQUEST.get_header(name) … end          -- named function statement
 *   function self:set_should_sample(v) … end         -- colon method
 *   local function set_serialize_value(k, v, o) … end
 *   request.set_header = function(header, value) … end
 *   ["kong.nginx.get_var"] = function(v) … end       -- table-constructor entry
 *   self.serialize = serialize                        -- alias of a local defined elsewhere
 *   new = new_tab,                                    -- alias inside a table constructor
 *
 * Each definition carries its parameters and the token range of its body, for code-facts.ts.
 */
import { blockEnd, is, type Token } from './lua-lexer.js';

/** One definition found in a file. */
export interface LuaDef {
  /** The defined name as written: `_REQUEST.get_header`, `self:set_should_sample`, `serialize`, or a string key `kong.nginx.get_var`. */
  target: string;
  /** Its last segment: `get_header`, `set_should_sample`, `serialize`, `kong.nginx.get_var` for a string key. */
  last: string;
  /** Defined with `:` (an implicit `self`). */
  colon: boolean;
  /** `local function x` / `local x = …`. */
  local: boolean;
  /** A string key in a table constructor (`["kong.x"] = …`). */
  stringKey: boolean;
  /** 1-based line of the definition's first token. */
  line: number;
  /** Offset of the definition's first token in the source. */
  offset: number;
  /** For a function: its parameter names (`...` included). */
  params?: string[];
  /** For a function: token indices (in the comment-free list) of the body, from after `)` to the closing `end` (exclusive). */
  body?: { from: number; to: number };
  /** For an alias: the expression's dotted name (`serialize`, `ngx_ssl.get_tls1_version_str`). */
  aliasOf?: string;
  /** For a value that is neither a function nor a plain name (a call, a `require`). */
  opaque?: boolean;
}

/** Reads `( a, b, ... )` starting at the `(` token; returns the names and the index after `)`. */
function readParams(tokens: readonly Token[], open: number): { params: string[]; next: number } {
  const params: string[] = [];
  let k = open + 1;
  while (k < tokens.length && !is(tokens[k], ')')) {
    const t = tokens[k]!;
    if (t.kind === 'name' || is(t, '...')) params.push(t.value);
    k++;
  }
  return { params, next: k + 1 };
}

/** Walks back from the `=` at `eq` over `a.b.c` or `["key"]`; returns the target and its first token index. */
function readTarget(
  tokens: readonly Token[],
  eq: number,
): { target: string; first: number; stringKey: boolean } | undefined {
  const before = tokens[eq - 1];
  if (!before) return undefined;
  // ["kong.x.y"] = …
  if (is(before, ']') && tokens[eq - 2]?.kind === 'string' && is(tokens[eq - 3], '[')) {
    return { target: tokens[eq - 2]!.value, first: eq - 3, stringKey: true };
  }
  if (before.kind !== 'name') return undefined;
  const parts = [before.value];
  let k = eq - 2;
  while (k >= 1 && is(tokens[k], '.') && tokens[k - 1]?.kind === 'name') {
    parts.unshift(tokens[k - 1]!.value);
    k -= 2;
  }
  // `x[i] = …`, `a.b, c = …` and the like are not definitions we can name.
  if (tokens[k] && (is(tokens[k], ']') || is(tokens[k], ','))) {
    // A `,` before is fine inside a table constructor (`{ a = 1, new = new_tab }`), not in a multiple assignment.
    if (!is(tokens[k], ',') || !insideConstructor(tokens, k)) return undefined;
  }
  return { target: parts.join('.'), first: k + 1, stringKey: false };
}

/** Whether the token at `at` sits directly inside `{ … }` (a table constructor), not inside `( … )` or a statement. */
function insideConstructor(tokens: readonly Token[], at: number): boolean {
  let depth = 0;
  for (let k = at; k >= 0; k--) {
    const t = tokens[k]!;
    if (is(t, '}') || is(t, ')') || is(t, ']')) depth++;
    else if (is(t, '{') || is(t, '(') || is(t, '[')) {
      if (depth === 0) return is(t, '{');
      depth--;
    } else if (
      depth === 0 &&
      t.kind === 'keyword' &&
      (t.value === 'end' || t.value === 'local' || t.value === 'return' || t.value === 'then' || t.value === 'do')
    ) {
      return false;
    }
  }
  return false;
}

/** Reads a dotted name `a.b.c` at `at`; returns it and the index after it. */
function readDotted(tokens: readonly Token[], at: number): { name: string; next: number } | undefined {
  if (tokens[at]?.kind !== 'name') return undefined;
  const parts = [tokens[at].value];
  let k = at + 1;
  while (is(tokens[k], '.') && tokens[k + 1]?.kind === 'name') {
    parts.push(tokens[k + 1]!.value);
    k += 2;
  }
  return { name: parts.join('.'), next: k };
}

function lastSegment(target: string, stringKey: boolean): string {
  if (stringKey) return target;
  const m = /[.:]([A-Za-z_][A-Za-z0-9_]*)$/.exec(target);
  return m ? m[1]! : target;
}

/** Every definition in a comment-free token list, in source order. */
export function findDefinitions(tokens: readonly Token[]): LuaDef[] {
  const defs: LuaDef[] = [];
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k]!;
    // function a.b:c(…)  /  local function x(…)
    if (is(t, 'function') && tokens[k + 1]?.kind === 'name') {
      const local = is(tokens[k - 1], 'local');
      let target = tokens[k + 1]!.value;
      let j = k + 2;
      let colon = false;
      while ((is(tokens[j], '.') || is(tokens[j], ':')) && tokens[j + 1]?.kind === 'name') {
        if (is(tokens[j], ':')) colon = true;
        target += tokens[j]!.value + tokens[j + 1]!.value;
        j += 2;
      }
      if (!is(tokens[j], '(')) continue;
      const { params, next } = readParams(tokens, j);
      const end = blockEnd(tokens, k);
      const first = local ? k - 1 : k;
      defs.push({
        target,
        last: lastSegment(target, false),
        colon,
        local,
        stringKey: false,
        line: tokens[first]!.line,
        offset: tokens[first]!.start,
        params,
        body: { from: next, to: end },
      });
      continue;
    }
    if (!is(t, '=')) continue;
    const lhs = readTarget(tokens, k);
    if (!lhs) continue;
    const local = is(tokens[lhs.first - 1], 'local');
    const first = local ? lhs.first - 1 : lhs.first;
    const base = {
      target: lhs.target,
      last: lastSegment(lhs.target, lhs.stringKey),
      colon: false,
      local,
      stringKey: lhs.stringKey,
      line: tokens[first]!.line,
      offset: tokens[first]!.start,
    };
    const rhs = tokens[k + 1];
    if (is(rhs, 'function') && is(tokens[k + 2], '(')) {
      const { params, next } = readParams(tokens, k + 2);
      const end = blockEnd(tokens, k + 1);
      defs.push({ ...base, params, body: { from: next, to: end } });
      continue;
    }
    const dotted = readDotted(tokens, k + 1);
    const after = dotted ? tokens[dotted.next] : undefined;
    // A plain name (not a call, not an index, not an expression) is an alias.
    if (
      dotted &&
      (!after ||
        !(
          is(after, '(') ||
          is(after, ':') ||
          is(after, '[') ||
          is(after, '{') ||
          after.kind === 'string' ||
          is(after, '..') ||
          is(after, 'or') ||
          is(after, 'and')
        ))
    ) {
      defs.push({ ...base, aliasOf: dotted.name });
    } else {
      defs.push({ ...base, opaque: true });
    }
  }
  return defs;
}

/** The token index of the first code token at or after `offset`. */
export function tokenAt(tokens: readonly Token[], offset: number): number {
  let lo = 0;
  let hi = tokens.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (tokens[mid]!.start < offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
