/**
 * A small Lua 5.1 tokenizer, enough to read Kong's sources: names, keywords, strings (short
 * and long), numbers, operators and comments, each with its line. The extractor never runs
 * Lua; it reads the token stream so that `--` inside a string, `end` inside a comment or a
 * `function` keyword inside a long string can never fool it the way a line regex would.
 */

/** What a token is. */
export type TokenKind = 'name' | 'keyword' | 'string' | 'number' | 'op' | 'comment';

/** One token. `value` is the source text, except for strings (their content, unescaped only for simple escapes) and comments (the text after `--`). */
export interface Token {
  kind: TokenKind;
  value: string;
  /** 1-based line of the token's first character. */
  line: number;
  /** Offsets of the token in the source. */
  start: number;
  end: number;
  /** For a comment: `--[[ … ]]` rather than a line comment. */
  long?: boolean;
  /** For a comment: nothing but blanks precede it on its line (a candidate doc-comment line). */
  ownLine?: boolean;
}

const KEYWORDS = new Set([
  'and',
  'break',
  'do',
  'else',
  'elseif',
  'end',
  'false',
  'for',
  'function',
  'goto',
  'if',
  'in',
  'local',
  'nil',
  'not',
  'or',
  'repeat',
  'return',
  'then',
  'true',
  'until',
  'while',
]);

// Longest first, so `...` wins over `..` and `.`.
const OPS = ['...', '..', '==', '~=', '<=', '>=', '::', '//', '<<', '>>'];

/** Thrown for source the tokenizer cannot read (an unterminated string or long bracket). */
export class LuaSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`line ${line}: ${message}`);
  }
}

/** Tokenizes `src`; comments are kept as tokens so the doc-block reader can use the same stream. */
export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  let line = 1;
  // Whether only blanks were seen since the last newline: decides `ownLine` for comments.
  let lineBlank = true;
  const n = src.length;

  const longBracketLevel = (at: number): number => {
    // `[` `=`* `[` opens a long bracket; returns its level or -1.
    if (src[at] !== '[') return -1;
    let j = at + 1;
    while (src[j] === '=') j++;
    return src[j] === '[' ? j - at - 1 : -1;
  };
  const readLong = (at: number, level: number): { text: string; next: number } => {
    const open = at + level + 2;
    const close = `]${'='.repeat(level)}]`;
    const end = src.indexOf(close, open);
    if (end < 0) throw new LuaSyntaxError('unterminated long bracket', line);
    let text = src.slice(open, end);
    // A newline right after the opening bracket is not part of the text (Lua manual §2.1).
    if (text.startsWith('\r\n')) text = text.slice(2);
    else if (text.startsWith('\n')) text = text.slice(1);
    return { text, next: end + close.length };
  };
  const countLines = (from: number, to: number): void => {
    for (let k = from; k < to; k++) if (src[k] === '\n') line++;
  };

  while (i < n) {
    const c = src[i]!;
    if (c === '\n') {
      line++;
      i++;
      lineBlank = true;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v') {
      i++;
      continue;
    }
    const start = i;
    const startLine = line;
    if (c === '-' && src[i + 1] === '-') {
      const level = longBracketLevel(i + 2);
      if (level >= 0) {
        const { text, next } = readLong(i + 2, level);
        countLines(i, next);
        out.push({ kind: 'comment', value: text, line: startLine, start, end: next, long: true, ownLine: lineBlank });
        i = next;
      } else {
        let j = src.indexOf('\n', i);
        if (j < 0) j = n;
        out.push({
          kind: 'comment',
          value: src.slice(i + 2, j).replace(/\r$/, ''),
          line: startLine,
          start,
          end: j,
          ownLine: lineBlank,
        });
        i = j;
      }
      lineBlank = false;
      continue;
    }
    lineBlank = false;
    if (/[A-Za-z_]/.test(c)) {
      let j = i + 1;
      while (j < n && /[A-Za-z0-9_]/.test(src[j]!)) j++;
      const word = src.slice(i, j);
      out.push({ kind: KEYWORDS.has(word) ? 'keyword' : 'name', value: word, line, start, end: j });
      i = j;
      continue;
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(src[i + 1] ?? ''))) {
      let j = i;
      if (c === '0' && /[xX]/.test(src[i + 1] ?? '')) {
        j += 2;
        while (j < n && /[0-9A-Fa-f.pP]/.test(src[j]!)) {
          if (/[pP]/.test(src[j]!) && /[+-]/.test(src[j + 1] ?? '')) j++;
          j++;
        }
      } else {
        while (j < n && /[0-9.eE]/.test(src[j]!)) {
          if (/[eE]/.test(src[j]!) && /[+-]/.test(src[j + 1] ?? '')) j++;
          j++;
        }
      }
      // LuaJIT suffixes (ULL, LL, i).
      while (j < n && /[uUlLi]/.test(src[j]!)) j++;
      out.push({ kind: 'number', value: src.slice(i, j), line, start, end: j });
      i = j;
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      let text = '';
      while (j < n && src[j] !== c) {
        if (src[j] === '\n') throw new LuaSyntaxError('unterminated string', line);
        if (src[j] === '\\') {
          const e = src[j + 1] ?? '';
          const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'" };
          if (e === '\n') line++;
          text += simple[e] ?? e;
          j += 2;
          continue;
        }
        text += src[j];
        j++;
      }
      if (j >= n) throw new LuaSyntaxError('unterminated string', line);
      out.push({ kind: 'string', value: text, line, start, end: j + 1 });
      i = j + 1;
      continue;
    }
    if (c === '[') {
      const level = longBracketLevel(i);
      if (level >= 0) {
        const { text, next } = readLong(i, level);
        countLines(i, next);
        out.push({ kind: 'string', value: text, line: startLine, start, end: next });
        i = next;
        continue;
      }
    }
    const op = OPS.find((o) => src.startsWith(o, i)) ?? c;
    out.push({ kind: 'op', value: op, line, start, end: i + op.length });
    i += op.length;
  }
  return out;
}

/** The tokens without comments: what the code readers walk. */
export function codeTokens(tokens: readonly Token[]): Token[] {
  return tokens.filter((t) => t.kind !== 'comment');
}

/** Whether `t` is the keyword or operator `value`. */
export function is(t: Token | undefined, value: string): boolean {
  return t !== undefined && (t.kind === 'keyword' || t.kind === 'op') && t.value === value;
}

/**
 * The index of the token that closes the block opened at `open` (a `function`, `if`, `do`,
 * `while`, `for` or `repeat` keyword), in a comment-free token list. `while` and `for` are
 * counted through their `do`, so only `function`/`if`/`do`/`repeat` open a level.
 */
export function blockEnd(tokens: readonly Token[], open: number): number {
  let depth = 0;
  for (let k = open; k < tokens.length; k++) {
    const t = tokens[k]!;
    if (t.kind !== 'keyword') continue;
    if (t.value === 'function' || t.value === 'if' || t.value === 'do' || t.value === 'repeat') depth++;
    else if (t.value === 'end' || t.value === 'until') {
      depth--;
      if (depth === 0) return k;
    }
  }
  throw new LuaSyntaxError('block has no end', tokens[open]?.line ?? 0);
}
