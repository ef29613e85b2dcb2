/**
 * Conversions between Kong's `match` patterns (Lua patterns, searched unanchored with
 * `string.find`) and ECMAScript regular expressions (JSON Schema `pattern`, also unanchored).
 *
 * Only a subset converts safely, both ways: anchors (`^` first, `$` last), literal characters,
 * `.`, character classes (`%a %c %d %g %l %p %s %u %w %x` and their complements, `\d \s \w`),
 * sets with ranges, and the single-item quantifiers (`* + ? -` in Lua; `* + ? *? {n,m}` in
 * JavaScript). Lua captures `( )` become non-capturing groups (Lua cannot quantify them).
 * Anything else — `%b`, `%f`, back-references, alternation, groups and look-arounds in a
 * regex, `\b`, Unicode property escapes — is reported as not convertible and the caller
 * leaves the constraint out (with a `$comment` or a warning) rather than guess.
 *
 * Caveat: Lua patterns work on bytes, JavaScript regexes (`u` flag, as ajv compiles them) on
 * code points. The conversions are exact on ASCII input; non-ASCII characters are refused in
 * sets and under quantifiers, and `.` or a negated class can still differ on non-ASCII input.
 */

/** A conversion's outcome: the pattern, or why it could not be converted. */
export type PatternConversion = { ok: true; pattern: string } | { ok: false; reason: string };

// Lua character classes as the contents of an ECMAScript set (valid with the `u` flag).
const LUA_CLASS_SET: Readonly<Record<string, string>> = {
  a: 'A-Za-z',
  c: '\\x00-\\x1f\\x7f',
  d: '0-9',
  g: '!-~',
  l: 'a-z',
  p: '!-\\/:-@\\[-`{-~',
  s: ' \\t\\n\\v\\f\\r',
  u: 'A-Z',
  w: '0-9A-Za-z',
  x: '0-9A-Fa-f',
};

const JS_SYNTAX = new Set('^$\\.*+?()[]{}|/'.split(''));
const JS_SET_SPECIAL = new Set('\\]-[^'.split(''));
const LUA_SPECIAL = new Set('^$()%.[]*+-?'.split(''));

const isAscii = (c: string): boolean => c.charCodeAt(0) < 0x80;
const isAlnum = (c: string): boolean => /^[A-Za-z0-9]$/.test(c);

function jsLiteral(c: string): string {
  return JS_SYNTAX.has(c) ? `\\${c}` : c;
}

function jsSetLiteral(c: string): string {
  return JS_SET_SPECIAL.has(c) ? `\\${c}` : c;
}

class NotConvertible extends Error {}

function fail(reason: string): never {
  throw new NotConvertible(reason);
}

/** A Lua pattern (Kong `match`) as an ECMAScript regex source, when it converts exactly. */
export function luaPatternToRegex(lua: string): PatternConversion {
  try {
    const out = convertLua(lua);
    new RegExp(out, 'u');
    return { ok: true, pattern: out };
  } catch (e) {
    return { ok: false, reason: e instanceof NotConvertible ? e.message : `no valid regex: ${(e as Error).message}` };
  }
}

function convertLua(p: string): string {
  let i = 0;
  let out = '';
  let depth = 0;
  if (p[0] === '^') {
    out += '^';
    i = 1;
  }
  while (i < p.length) {
    const c = p[i]!;
    if (c === '$' && i === p.length - 1) {
      out += '$';
      i++;
      continue;
    }
    if (c === '(') {
      if (p[i + 1] === ')') {
        // A position capture matches the empty string.
        i += 2;
        continue;
      }
      out += '(?:';
      depth++;
      i++;
      continue;
    }
    if (c === ')') {
      if (--depth < 0) fail('unbalanced ")"');
      out += ')';
      i++;
      continue;
    }
    let item: string;
    let multiByteLiteral = false;
    if (c === '%') {
      const n = p[i + 1];
      if (n === undefined) fail('pattern ends with "%"');
      if (n === 'b') fail('%b (balanced match) has no regex equivalent');
      if (n === 'f') fail('%f (frontier) has no regex equivalent');
      if (n === 'z' || n === 'Z') fail('%z is not converted');
      if (/[0-9]/.test(n)) fail(`%${n} (back-reference) is not converted`);
      const cls = LUA_CLASS_SET[n.toLowerCase()];
      if (cls !== undefined) item = n === n.toLowerCase() ? `[${cls}]` : `[^${cls}]`;
      else if (!isAscii(n)) fail('non-ASCII characters are not converted (Lua matches bytes)');
      else item = jsLiteral(n);
      i += 2;
    } else if (c === '[') {
      const set = luaSet(p, i);
      item = set.regex;
      i = set.end;
    } else if (c === '.') {
      item = '[\\s\\S]';
      i++;
    } else {
      multiByteLiteral = !isAscii(c);
      item = jsLiteral(c);
      i++;
    }
    const q = p[i];
    if (q === '*' || q === '+' || q === '?' || q === '-') {
      if (multiByteLiteral) fail('a quantified non-ASCII character differs between Lua (bytes) and regexes');
      out += item + (q === '-' ? '*?' : q);
      i++;
    } else {
      out += item;
    }
  }
  if (depth !== 0) fail('unbalanced "("');
  return out;
}

function luaSet(p: string, start: number): { regex: string; end: number } {
  let i = start + 1;
  let negated = false;
  if (p[i] === '^') {
    negated = true;
    i++;
  }
  let body = '';
  let first = true;
  for (;;) {
    if (i >= p.length) fail('unterminated "["');
    const c = p[i]!;
    if (c === ']' && !first) {
      i++;
      break;
    }
    first = false;
    if (!isAscii(c)) fail('non-ASCII characters in a set are not converted (Lua sets hold bytes)');
    if (c === '%') {
      const n = p[i + 1];
      if (n === undefined) fail('unterminated "["');
      if (n === 'z' || n === 'Z') fail('%z is not converted');
      const cls = LUA_CLASS_SET[n.toLowerCase()];
      if (cls !== undefined) {
        if (n !== n.toLowerCase()) fail(`%${n} inside a set has no regex equivalent`);
        body += cls;
      } else if (!isAscii(n)) {
        fail('non-ASCII characters in a set are not converted (Lua sets hold bytes)');
      } else {
        body += jsSetLiteral(n);
      }
      i += 2;
      continue;
    }
    const to = p[i + 2];
    if (p[i + 1] === '-' && to !== undefined && to !== ']') {
      if (!isAscii(to)) fail('non-ASCII characters in a set are not converted (Lua sets hold bytes)');
      if (to < c) fail(`empty range ${c}-${to}`);
      body += `${jsSetLiteral(c)}-${jsSetLiteral(to)}`;
      i += 3;
      continue;
    }
    body += jsSetLiteral(c);
    i++;
  }
  return { regex: `[${negated ? '^' : ''}${body}]`, end: i };
}

/** An ECMAScript regex source (JSDoc `@pattern`) as a Lua pattern, when it converts exactly. */
export function regexToLuaPattern(regex: string): PatternConversion {
  try {
    new RegExp(regex, 'u');
  } catch (e) {
    return { ok: false, reason: `not a valid regular expression: ${(e as Error).message}` };
  }
  try {
    return { ok: true, pattern: convertRegex(regex) };
  } catch (e) {
    if (e instanceof NotConvertible) return { ok: false, reason: e.message };
    throw e;
  }
}

function luaLiteral(c: string): string {
  if (!isAscii(c)) fail('non-ASCII characters are not converted (Lua matches bytes)');
  return LUA_SPECIAL.has(c) ? `%${c}` : c;
}

function luaSetLiteral(c: string): string {
  if (!isAscii(c)) fail('non-ASCII characters are not converted (Lua matches bytes)');
  return isAlnum(c) ? c : `%${c}`;
}

const CONTROL_ESCAPES: Readonly<Record<string, string>> = { n: '\n', t: '\t', r: '\r', f: '\f', v: '\v' };

function convertRegex(src: string): string {
  let i = 0;
  let out = '';
  if (src[0] === '^') {
    out += '^';
    i = 1;
  }
  while (i < src.length) {
    const c = src[i]!;
    if (c === '$' && i === src.length - 1) {
      out += '$';
      i++;
      continue;
    }
    if (c === '|') fail('alternation (|) has no Lua pattern equivalent');
    if (c === '(' || c === ')') fail('groups have no Lua pattern equivalent');
    if (c === '^' || c === '$') fail('anchors other than a leading ^ and a trailing $ are not converted');
    let item: string;
    if (c === '.') {
      item = '[^\n\r]';
      i++;
    } else if (c === '\\') {
      const e = src[i + 1]!;
      i += 2;
      if (e === 'd' || e === 'D' || e === 's' || e === 'S') item = `%${e}`;
      else if (e === 'w') item = '[%w_]';
      else if (e === 'W') item = '[^%w_]';
      else if (CONTROL_ESCAPES[e] !== undefined) item = CONTROL_ESCAPES[e]!;
      else if (/[A-Za-z0-9]/.test(e)) fail(`\\${e} is not converted`);
      else item = luaLiteral(e);
    } else if (c === '[') {
      const set = regexSet(src, i);
      item = set.lua;
      i = set.end;
    } else {
      item = luaLiteral(c);
      i++;
    }
    // Quantifier (the regex already compiled, so any quantifier here follows an item).
    const q = src[i];
    if (q === '*' || q === '+' || q === '?') {
      i++;
      const lazy = src[i] === '?';
      if (lazy) i++;
      // Laziness does not change whether a pattern matches somewhere.
      out += item + (q === '*' && lazy ? '-' : q);
    } else if (q === '{') {
      const m = /^\{(\d+)(,(\d*))?\}\??/.exec(src.slice(i));
      if (!m) fail('"{" is not converted');
      i += m[0].length;
      const min = Number(m[1]);
      const max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
      const copies = Number.isFinite(max) ? max : min + 1;
      if (copies > 32) fail(`{${m[1]}${m[2] ?? ''}} expands to more than 32 Lua items`);
      out += item.repeat(min);
      if (max === Infinity) out += `${item}*`;
      else out += `${item}?`.repeat(max - min);
    } else {
      out += item;
    }
  }
  return out;
}

function regexSet(src: string, start: number): { lua: string; end: number } {
  let i = start + 1;
  let negated = false;
  if (src[i] === '^') {
    negated = true;
    i++;
  }
  if (src[i] === ']') fail('an empty set is not converted');
  let body = '';
  const atom = (): string => {
    const c = src[i]!;
    if (c !== '\\') {
      i++;
      return c;
    }
    const e = src[i + 1]!;
    i += 2;
    const control = CONTROL_ESCAPES[e];
    if (control !== undefined) return control;
    if (/[A-Za-z0-9]/.test(e)) return `\\${e}`;
    return e;
  };
  while (src[i] !== ']') {
    if (i >= src.length) fail('unterminated set');
    const a = atom();
    if (a.length === 2) {
      // A class escape.
      const k = a[1]!;
      if (k === 'd' || k === 's') body += `%${k}`;
      else if (k === 'w') body += '%w_';
      else fail(`${a} inside a set is not converted`);
      continue;
    }
    if (src[i] === '-' && src[i + 1] !== ']' && i + 1 < src.length) {
      i++;
      const b = atom();
      if (b.length === 2) fail(`a range ending in ${b} is not converted`);
      if (!isAscii(a) || !isAscii(b)) fail('non-ASCII characters are not converted (Lua matches bytes)');
      // Lua reads range ends raw (no % escape); a "]" end would close the set.
      if ([a, b].some((x) => x === ']' || x === '^' || x === '%')) fail(`the range ${a}-${b} is not converted`);
      body += `${a}-${b}`;
      continue;
    }
    body += luaSetLiteral(a);
  }
  return { lua: `[${negated ? '^' : ''}${body}]`, end: i + 1 };
}
