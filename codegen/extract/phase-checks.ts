/**
 * Reads the phases a PDK function accepts from Kong's own phase check rather than its doc
 * comment. Kong's PDK functions start with a check against `kong/pdk/private/phases.lua`:
 *
 *   local PHASES = phase_checker.phases
 *   local header_body_log = phase_checker.new(PHASES.response, PHASES.header_filter, …)
 *   local PHASES_LOG = PHASES.log
 *   function response.get_status() check_phase(header_body_log) … end
 *   function request.get_scheme() check_phase(PHASES.request) … end   -- an alias of phases.lua
 *   function ctx.get() check_not_phase(PHASES.init_worker) … end      -- every phase but these
 *
 * `phases.lua` gives the phase names (its `PHASES` table) and the aliases (`request =
 * new_phase(PHASES.rewrite, …)`); each PDK file gives its locals built from them.
 */
import { is, type Token } from './lua-lexer.js';

/** The phase vocabulary of one Kong tree, from kong/pdk/private/phases.lua. */
export interface PhaseVocabulary {
  /** Every phase name of the `PHASES` table, in its order (commented-out ones excluded). */
  phases: string[];
  /** Aliases of the public table, e.g. `request` → its phases. */
  aliases: Record<string, string[]>;
}

/** What a function's code checks. */
export interface CodePhaseCheck {
  /** The phases the check accepts, in the vocabulary's order. */
  phases: string[];
  /** `check_phase(x)` or `check_not_phase(x)` as written, for reports. */
  written: string;
  line: number;
}

/** The `name = {` table at depth 0 whose entries are `key = value`; returns its keys. */
function tableKeysNamed(tokens: readonly Token[], name: string): string[] | undefined {
  for (let k = 0; k + 2 < tokens.length; k++) {
    if (tokens[k]!.kind !== 'name' || tokens[k]!.value !== name || !is(tokens[k + 1], '=') || !is(tokens[k + 2], '{'))
      continue;
    const keys: string[] = [];
    let depth = 0;
    for (let j = k + 2; j < tokens.length; j++) {
      const t = tokens[j]!;
      if (is(t, '{') || is(t, '(')) depth++;
      else if (is(t, '}') || is(t, ')')) {
        if (--depth === 0) break;
      } else if (
        depth === 1 &&
        t.kind === 'name' &&
        is(tokens[j + 1], '=') &&
        (is(tokens[j - 1], '{') || is(tokens[j - 1], ','))
      )
        keys.push(t.value);
    }
    return keys;
  }
  return undefined;
}

/** The comma-separated argument token ranges of the call whose `(` is at `open`, and the index of its `)`. */
function callArgs(tokens: readonly Token[], open: number): { args: Token[][]; close: number } {
  const args: Token[][] = [];
  let cur: Token[] = [];
  let depth = 0;
  for (let k = open; k < tokens.length; k++) {
    const t = tokens[k]!;
    if (is(t, '(') || is(t, '{') || is(t, '[')) {
      depth++;
      if (depth === 1) continue;
    } else if (is(t, ')') || is(t, '}') || is(t, ']')) {
      depth--;
      if (depth === 0) {
        if (cur.length) args.push(cur);
        return { args, close: k };
      }
    } else if (depth === 1 && is(t, ',')) {
      args.push(cur);
      cur = [];
      continue;
    }
    cur.push(t);
  }
  return { args, close: tokens.length };
}

/** Reads kong/pdk/private/phases.lua. */
export function readPhaseVocabulary(tokens: readonly Token[]): PhaseVocabulary {
  const phases = tableKeysNamed(tokens, 'PHASES') ?? [];
  const aliases: Record<string, string[]> = {};
  // `request = new_phase(PHASES.rewrite, PHASES.access, …)` inside the public table.
  for (let k = 0; k + 3 < tokens.length; k++) {
    const t = tokens[k]!;
    if (t.kind !== 'name' || !is(tokens[k + 1], '=') || tokens[k + 2]?.value !== 'new_phase' || !is(tokens[k + 3], '('))
      continue;
    const { args } = callArgs(tokens, k + 3);
    const members = args.flatMap((a) =>
      a.length === 3 && a[0]!.value === 'PHASES' && is(a[1], '.') && phases.includes(a[2]!.value) ? [a[2]!.value] : [],
    );
    if (members.length === args.length) aliases[t.value] = members;
  }
  return { phases, aliases };
}

/** Resolves phase expressions of one PDK file: `PHASES.x`, its locals, `phase_checker.new(…)`. */
export class PhaseResolver {
  private readonly locals = new Map<string, Token[]>();
  private readonly resolving = new Set<string>();

  constructor(
    private readonly src: string,
    private readonly tokens: readonly Token[],
    private readonly vocabulary: PhaseVocabulary,
  ) {
    // `NAME = <expr>` where the expression starts with `phase_checker.new(` or `PHASES.` (at any
    // scope: Kong builds some inside a function, e.g. request.lua's `before_content`).
    for (let k = 0; k + 2 < tokens.length; k++) {
      const t = tokens[k]!;
      if (t.kind !== 'name' || !is(tokens[k + 1], '=') || is(tokens[k - 1], '.')) continue;
      const start = k + 2;
      const first = tokens[start]!;
      if (first.value === 'phase_checker' && is(tokens[start + 1], '.') && tokens[start + 2]?.value === 'new') {
        const { close } = callArgs(tokens, start + 3);
        this.locals.set(t.value, tokens.slice(start, close + 1));
      } else if (first.value === 'PHASES' && is(tokens[start + 1], '.') && tokens[start + 2]?.kind === 'name') {
        this.locals.set(t.value, tokens.slice(start, start + 3));
      }
    }
  }

  /** The phases an expression's tokens denote, or undefined when it is not one this reader knows. */
  resolve(expr: readonly Token[]): Set<string> | undefined {
    if (expr.length === 1 && expr[0]!.kind === 'name') {
      const name = expr[0]!.value;
      const def = this.locals.get(name);
      if (!def || this.resolving.has(name)) return undefined;
      this.resolving.add(name);
      try {
        return this.resolve(def);
      } finally {
        this.resolving.delete(name);
      }
    }
    if (expr.length === 3 && expr[0]!.value === 'PHASES' && is(expr[1], '.')) {
      const name = expr[2]!.value;
      const alias = this.vocabulary.aliases[name];
      if (alias) return new Set(alias);
      return this.vocabulary.phases.includes(name) ? new Set([name]) : undefined;
    }
    if (expr[0]?.value === 'phase_checker' && is(expr[1], '.') && expr[2]?.value === 'new' && is(expr[3], '(')) {
      const { args, close } = callArgs(expr, 3);
      if (close !== expr.length - 1) return undefined;
      const out = new Set<string>();
      for (const a of args) {
        const part = this.resolve(a);
        if (!part) return undefined;
        for (const p of part) out.add(p);
      }
      return out;
    }
    return undefined;
  }

  /** `phases` in the vocabulary's order. */
  inOrder(phases: ReadonlySet<string>): string[] {
    return this.vocabulary.phases.filter((p) => phases.has(p));
  }

  /** The first phase check in the body `tokens[from, to)`; `unresolved` holds a check it could not read. */
  checkIn(from: number, to: number): { check?: CodePhaseCheck; unresolved?: string } {
    const tokens = this.tokens;
    for (let k = from; k < to; k++) {
      const t = tokens[k]!;
      if (t.kind !== 'name' || (t.value !== 'check_phase' && t.value !== 'check_not_phase')) continue;
      if (!is(tokens[k + 1], '(') || is(tokens[k - 1], '.') || is(tokens[k - 1], 'function')) continue;
      const { args, close } = callArgs(tokens, k + 1);
      const written = this.src.slice(t.start, tokens[close]?.end ?? t.end).replace(/\s+/g, ' ');
      const set = args.length === 1 ? this.resolve(args[0]!) : undefined;
      if (!set) return { unresolved: written };
      const accepted =
        t.value === 'check_phase'
          ? this.vocabulary.phases.filter((p) => set.has(p))
          : this.vocabulary.phases.filter((p) => !set.has(p));
      return { check: { phases: accepted, written, line: t.line } };
    }
    return {};
  }
}

/** What `decidePhases` gives. */
export interface PhaseDecision {
  /** The function's phases: the doc's list with the code's decisions applied. */
  phases: string[];
  /** Phases the code accepts and the doc does not name, among those the code decides. */
  added: string[];
  /** Phases the doc names and the code refuses, among those the code decides. */
  removed: string[];
  /** Whether doc and code differ at all (in any phase). */
  disagree: boolean;
}

/**
 * Joins a function's `@phases` with what its code accepts. For the phases in `decides` (all
 * when absent) the code decides; the rest of the doc's list stays as written, in its order,
 * and an added phase goes before the first listed phase that comes after it in Kong's order.
 */
export function decidePhases(
  doc: readonly string[] | undefined,
  code: readonly string[],
  vocabulary: PhaseVocabulary,
  decides?: readonly string[],
): PhaseDecision {
  const docList = doc ?? [];
  const inDoc = new Set(docList);
  const inCode = new Set(code);
  const decided = (p: string): boolean => vocabulary.phases.includes(p) && (!decides || decides.includes(p));
  // `any` in a doc list means every phase: nothing to compare.
  const disagree =
    !inDoc.has('any') &&
    (code.some((p) => !inDoc.has(p)) || docList.some((p) => vocabulary.phases.includes(p) && !inCode.has(p)));
  if (inDoc.has('any')) return { phases: [...docList], added: [], removed: [], disagree: false };
  const added = code.filter((p) => decided(p) && !inDoc.has(p));
  const removed = docList.filter((p) => decided(p) && !inCode.has(p));
  const phases = docList.filter((p) => !removed.includes(p));
  const order = (p: string): number => vocabulary.phases.indexOf(p);
  for (const p of added) {
    const at = phases.findIndex((q) => order(q) > order(p));
    if (at < 0) phases.push(p);
    else phases.splice(at, 0, p);
  }
  return { phases, added, removed, disagree };
}
