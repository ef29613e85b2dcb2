/**
 * Facts read from a function body, the things ldoc cannot see: whether it returns `(nil, err)`,
 * which type each parameter is checked against, whether it raises, whether it never returns
 * (kong.response.exit/error), and which PDK function an override calls with which arguments.
 */
import { is, type Token } from './lua-lexer.js';

/** What a body tells. */
export interface CodeFacts {
  /** Some `return nil, …` in the body (the `(nil, err)` convention). */
  returnsNilErr: boolean;
  /** Some `return <value>` (not a bare `return`). */
  returnsValue: boolean;
  /** `error(…)` is called. */
  raises: boolean;
  /** Yields (a delayed response) and otherwise ends the request with `send(…)`/`ngx.exit(…)`. */
  neverReturns: boolean;
  /** Parameter name → the type a `type(x) ~= "t"` / `type(x) == "t"` check compares it with (the first check wins). */
  checkedTypes: Record<string, string>;
  /** Dotted names called in the body with their argument count, e.g. `kong.request.get_headers` → 1. */
  calls: { name: string; args: number }[];
  /** The body's source text (for the few textual patterns plugin-servers.ts looks for). */
  text: string;
}

function dottedBefore(tokens: readonly Token[], open: number): string | undefined {
  // Reads `a.b.c` ending just before the `(` at `open`.
  const parts: string[] = [];
  let k = open - 1;
  while (k >= 0 && tokens[k]!.kind === 'name') {
    parts.unshift(tokens[k]!.value);
    if (is(tokens[k - 1], '.')) k -= 2;
    else break;
  }
  return parts.length ? parts.join('.') : undefined;
}

function countArgs(tokens: readonly Token[], open: number): number {
  // Counts top-level commas between `(` at `open` and its `)`.
  let depth = 0;
  let args = 0;
  let any = false;
  for (let k = open; k < tokens.length; k++) {
    const t = tokens[k]!;
    if (is(t, '(') || is(t, '{') || is(t, '[')) {
      depth++;
      if (depth === 1) continue;
    } else if (is(t, ')') || is(t, '}') || is(t, ']')) {
      depth--;
      if (depth === 0) break;
    } else if (depth === 1 && is(t, ',')) {
      args++;
      continue;
    }
    if (depth >= 1) any = true;
  }
  return any ? args + 1 : 0;
}

/** Reads the facts of the body `tokens[from, to)` of a source `src`. */
export function codeFacts(src: string, tokens: readonly Token[], from: number, to: number): CodeFacts {
  const facts: CodeFacts = {
    returnsNilErr: false,
    returnsValue: false,
    raises: false,
    neverReturns: false,
    checkedTypes: {},
    calls: [],
    text: from < to ? src.slice(tokens[from]!.start, tokens[to - 1]!.end) : '',
  };
  let yields = false;
  let ends = false;
  for (let k = from; k < to; k++) {
    const t = tokens[k]!;
    if (is(t, 'return')) {
      const next = tokens[k + 1];
      if (is(next, 'nil') && is(tokens[k + 2], ',')) facts.returnsNilErr = true;
      if (next && !(is(next, 'end') || is(next, 'else') || is(next, 'elseif') || is(next, 'until')))
        facts.returnsValue = true;
      if (next?.kind === 'name' && next.value === 'send' && is(tokens[k + 2], '(')) ends = true;
    }
    if (t.kind === 'name' && is(tokens[k + 1], '(')) {
      const name = dottedBefore(tokens, k + 1);
      if (name) {
        facts.calls.push({ name, args: countArgs(tokens, k + 1) });
        if (name === 'error') facts.raises = true;
        if (name === 'coroutine.yield') yields = true;
        if (name === 'ngx.exit') ends = true;
      }
      // type(x) ~= "string"  /  type(x) == "string"
      if (t.value === 'type' && !is(tokens[k - 1], '.') && tokens[k + 2]?.kind === 'name' && is(tokens[k + 3], ')')) {
        const op = tokens[k + 4];
        const lit = tokens[k + 5];
        if ((is(op, '~=') || is(op, '==')) && lit?.kind === 'string') {
          const param = tokens[k + 2]!.value;
          facts.checkedTypes[param] ??= lit.value;
        }
      }
    }
  }
  facts.neverReturns = yields && ends;
  return facts;
}
