/**
 * Reads the documented functions of one kong/pdk/**.lua file: each ldoc block with a
 * `@function kong.…` tag (not `@local`), joined with the Lua definition it documents, gives a
 * draft with params, returns, phases and code facts. Doc defects met on the way are recorded
 * as `Defect`s; the ones that need judgment are repaired only when a reviewed rule says so.
 */
import { codeFacts, type CodeFacts } from './code-facts.js';
import { KNOWN_TAGS, readDocBlocks, tagOf, type DocBlock } from './ldoc.js';
import { findDefinitions, tokenAt, type LuaDef } from './lua-defs.js';
import { codeTokens, tokenize, type Token } from './lua-lexer.js';
import { joinTypes, splitTyped } from './lua-types.js';
import { PhaseResolver, type CodePhaseCheck, type PhaseVocabulary } from './phase-checks.js';
import type { Defect, DefectKind } from './model.js';
import type { DefectRule, RuleBook } from './rules.js';

/** A parameter while the function is being assembled. */
export interface ParamDraft {
  name: string;
  type: string;
  optional: boolean;
  documented: boolean;
  vararg: boolean;
}

/** A documented function before the RPC layer is known. */
export interface FunctionDraft {
  /** The name after any reviewed rename. */
  name: string;
  /** The name Kong's doc gives (`kong.tracing:set_should_sample`, `kong.tracing.new_span`). */
  label: string;
  /** `kong/pdk/request.lua:595`. */
  source: string;
  ldoc: boolean;
  colon: boolean;
  params: ParamDraft[];
  returns: { type: string; error: boolean }[];
  returnsNothing: boolean;
  phases?: string[];
  phaseConditions?: Record<string, string>;
  /** The phase check at the start of the code (`check_phase(…)`), when there is one this reader resolves. */
  codePhases?: CodePhaseCheck;
  /** The code's parameter names (after a leading `self` of a dot function), when a definition was found. */
  codeParams?: string[];
  facts?: CodeFacts;
  mismatches: { doc: string; code: string }[];
}

/** What one file gives. */
export interface PdkFileResult {
  functions: FunctionDraft[];
  defects: Defect[];
  warnings: string[];
  /** Exported names the code has but the doc never mentions (e.g. kong.log.emerg). */
  undocumented: string[];
}

/** Records defects, attaching the reviewed rule that covers each one. */
export class DefectLog {
  readonly defects: Defect[] = [];

  constructor(private readonly book: RuleBook) {}

  /** Records a defect and returns the rule covering it, if any. */
  add(
    kind: DefectKind,
    fn: string,
    source: string,
    message: string,
    match: Parameters<RuleBook['find']>[2] = {},
  ): DefectRule | undefined {
    const rule = this.book.find(kind, fn, match);
    this.defects.push({ kind, function: fn, source, message, ...(rule ? { rule: rule.id } : {}) });
    return rule;
  }
}

/** `@phases rewrite, access, header_filter (only if `body` is nil)` → phases and conditions. */
export function parsePhases(text: string): { phases: string[]; conditions: Record<string, string> } {
  const phases: string[] = [];
  const conditions: Record<string, string> = {};
  // Split on commas outside parentheses.
  const items: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text.replace(/`/g, '')) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      items.push(cur);
      cur = '';
    } else cur += ch;
  }
  items.push(cur);
  for (const item of items) {
    const m = /^\s*([A-Za-z_]+)\s*(?:\((.*)\))?\s*$/.exec(item);
    if (!m) continue;
    phases.push(m[1]!);
    if (m[2]) conditions[m[1]!] = m[2].trim();
  }
  return { phases, conditions };
}

/** Whether a definition assigns a member of a table (`X.f`, `X:f`, a constructor entry), not a local helper. */
function isMember(d: LuaDef): boolean {
  return !d.local && !d.stringKey;
}

/** Finds the definition of `fn` away from its doc block: a member definition, resolving `X.fn = local_name`. */
function searchDefinition(defs: readonly LuaDef[], fn: string): LuaDef | undefined {
  for (const d of defs) {
    if (d.last !== fn || !isMember(d)) continue;
    if (d.params) return d;
    if (d.aliasOf) {
      // `self.serialize = serialize` → `function serialize(options)` / `local function serialize(…)`.
      const target = defs.find((x) => x.target === d.aliasOf && (x.params !== undefined || x.opaque));
      return target ?? d;
    }
    return d; // opaque: a call or a require (kong.table.new = require "table.new")
  }
  return undefined;
}

/**
 * The phases the code of `def` accepts. A function defined once per subsystem (`if
 * is_http_subsystem then function _RESPONSE.exit … else function _RESPONSE.exit …`) accepts
 * the union of its definitions' checks; when one of them checks nothing, the code does not
 * restrict the phases and no check is returned.
 */
function codePhaseCheck(
  defs: readonly LuaDef[],
  def: LuaDef,
  resolver: PhaseResolver,
): { check?: CodePhaseCheck; unresolved?: string } {
  const variants = defs.filter((d) => d === def || (d.body && isMember(d) && d.target === def.target));
  const checks: CodePhaseCheck[] = [];
  for (const v of variants) {
    const r = resolver.checkIn(v.body!.from, v.body!.to);
    if (r.unresolved) return { unresolved: r.unresolved };
    if (!r.check) return {};
    checks.push(r.check);
  }
  const [first, ...rest] = checks;
  if (!first) return {};
  if (rest.length === 0) return { check: first };
  const written = [...new Set(checks.map((c) => c.written))].join(' | ');
  return { check: { phases: resolver.inOrder(new Set(checks.flatMap((c) => c.phases))), written, line: first.line } };
}

/**
 * Reads one PDK file. `path` is relative to the Kong tree (`kong/pdk/request.lua`); `module` is
 * `request`, `client.tls`, …; `vocabulary` (from kong/pdk/private/phases.lua) lets the code's
 * phase checks be read.
 */
export function readPdkFile(
  path: string,
  module: string,
  src: string,
  book: RuleBook,
  vocabulary?: PhaseVocabulary,
): PdkFileResult {
  const all = tokenize(src);
  const tokens = codeTokens(all);
  const defs = findDefinitions(tokens);
  const phaseResolver = vocabulary ? new PhaseResolver(src, tokens, vocabulary) : undefined;
  const blocks = readDocBlocks(all);
  const log = new DefectLog(book);
  const out: PdkFileResult = { functions: [], defects: log.defects, warnings: [], undocumented: [] };
  const moduleName = `kong.${module}`;

  for (const block of blocks) {
    const fnTag = tagOf(block, 'function');
    if (!fnTag || tagOf(block, 'local')) continue;
    const rawLabel = fnTag.text.split(/\s+/)[0] ?? '';
    // Class methods (`span:finish`) and internals without the kong. prefix are not PDK functions.
    if (!/^kong[.:]/.test(rawLabel)) continue;
    const colonLabel = rawLabel.includes(':');
    const label = rawLabel.replace(':', '.');
    const source = `${path}:${block.startLine}`;

    if (!block.ldoc) {
      log.add('not_ldoc_block', label, source, 'doc comment does not start with "---", so ldoc skips it');
    }

    const segments = label.split('.');
    const last = segments[segments.length - 1]!;
    // `kong.log.LEVEL`: one block for several functions, listed as `kong.log.err()` etc. in its text.
    if (/^[A-Z][A-Z_]*$/.test(last)) {
      out.functions.push(...expandPlaceholder(block, label, source, tokens, log, out));
      continue;
    }

    const firstTok = tokens[tokenAt(tokens, block.endOffset)];
    const nextDef = firstTok ? defs.find((d) => d.offset === firstTok.start) : undefined;
    let name = label;
    let def: LuaDef | undefined;
    if (label === moduleName) {
      def = undefined; // the module itself is callable (kong.log(…) through __call): no definition to read
    } else if (nextDef && nextDef.last === last) {
      def = nextDef;
    } else if (nextDef && nextDef.params && isMember(nextDef)) {
      // The block labels one name and the code right after it defines another.
      const codeName = `${segments.slice(0, -1).join('.')}.${nextDef.last}`;
      const rule = log.add(
        'name_mismatch',
        label,
        source,
        `documented as ${label}, but the code after the block defines ${nextDef.target} (${codeName})`,
      );
      if (rule?.repair === 'use_code_name') name = codeName;
      def = nextDef;
    } else {
      def = searchDefinition(defs, last);
    }
    if (def?.aliasOf && !def.params) def = undefined;

    let codeParams = def?.params;
    if (codeParams && codeParams[0] === 'self' && !def!.colon) codeParams = codeParams.slice(1);
    const facts = def?.body ? codeFacts(src, tokens, def.body.from, def.body.to) : undefined;
    const phaseCheck = def?.body && phaseResolver ? codePhaseCheck(defs, def, phaseResolver) : {};
    if (phaseCheck.unresolved)
      out.warnings.push(`${source}: ${name}: cannot read the phase check ${phaseCheck.unresolved}; its doc is kept`);

    const draft: FunctionDraft = {
      name,
      label: rawLabel,
      source,
      ldoc: block.ldoc,
      colon: colonLabel || (def?.colon ?? false),
      params: [],
      returns: [],
      returnsNothing: false,
      ...(codeParams ? { codeParams } : {}),
      ...(facts ? { facts } : {}),
      ...(phaseCheck.check ? { codePhases: phaseCheck.check } : {}),
      mismatches: [],
    };
    readTags(block, draft, log, out.warnings);
    alignParams(draft, log);
    out.functions.push(draft);
  }

  // Two blocks with one label (an unrepaired name_mismatch): keep the first, say so.
  const seen = new Set<string>();
  out.functions = out.functions.filter((f) => {
    if (seen.has(f.name)) {
      out.warnings.push(`${f.source}: ${f.name} is documented twice; the later block is ignored`);
      return false;
    }
    seen.add(f.name);
    return true;
  });
  return out;
}

/** Doc params, returns and phases of one block, into `draft`. */
function readTags(block: DocBlock, draft: FunctionDraft, log: DefectLog, warnings: string[]): void {
  for (const tag of block.tags) {
    if (tag.tag === 'tparam') {
      const t = splitTyped(tag.text);
      const pname = t.rest.split(/\s+/)[0];
      if (!pname) {
        warnings.push(`${draft.source}: @tparam without a name in ${draft.name}`);
        continue;
      }
      draft.params.push({
        name: pname,
        type: joinTypes(t.types),
        optional: tag.modifiers === 'opt',
        documented: true,
        vararg: pname === '...',
      });
    } else if (tag.tag === 'param') {
      const pname = tag.text.split(/\s+/)[0] ?? '';
      if (!pname) continue;
      draft.params.push({
        name: pname,
        type: 'any',
        optional: tag.modifiers === 'opt',
        documented: true,
        vararg: pname === '...',
      });
    } else if (tag.tag === 'treturn') {
      const t = splitTyped(tag.text);
      const error = draft.returns.length > 0 && (t.errWord || /\berr(or)?s?\b/i.test(t.rest));
      draft.returns.push({ type: joinTypes(t.types), error });
    } else if (tag.tag === 'return') {
      if (/^nothing\b/i.test(tag.text)) draft.returnsNothing = true;
      else draft.returns.push({ type: 'any', error: false });
    } else if (tag.tag === 'phases') {
      const { phases, conditions } = parsePhases(tag.text);
      draft.phases = phases;
      if (Object.keys(conditions).length) draft.phaseConditions = conditions;
    } else if (!KNOWN_TAGS.has(tag.tag)) {
      // `@max_allowed_file_size[opt] number …`: a parameter whose `@tparam[opt]` lost its tag name.
      const written = `@${tag.tag}${tag.modifiers !== undefined ? `[${tag.modifiers}]` : ''}`;
      if (draft.codeParams?.includes(tag.tag)) {
        const rule = log.add(
          'malformed_tag',
          draft.name,
          `${draft.source.replace(/:\d+$/, '')}:${tag.line}`,
          `malformed tag '${written}' (meant: @tparam${tag.modifiers ? `[${tag.modifiers}]` : ''} … ${tag.tag})`,
          { tag: tag.tag },
        );
        if (rule?.repair === 'recover_param') {
          const t = splitTyped(tag.text);
          draft.params.push({
            name: tag.tag,
            type: joinTypes(t.types),
            optional: tag.modifiers === 'opt',
            documented: true,
            vararg: false,
          });
        }
      } else {
        log.add(
          'unknown_tag',
          draft.name,
          `${draft.source.replace(/:\d+$/, '')}:${tag.line}`,
          `unknown tag '${written}'`,
          { tag: tag.tag },
        );
      }
    }
  }
}

/** Joins doc params with the code signature: undocumented code params, renamed params, a `...` that takes the rest. */
function alignParams(draft: FunctionDraft, log: DefectLog): void {
  const code = draft.codeParams;
  if (!code) return;
  const doc = draft.params;
  const out: ParamDraft[] = [];
  let di = 0;
  for (const cp of code) {
    if (cp === '...') {
      if (di < doc.length) {
        out.push(...doc.slice(di)); // `function self.start_span(...)` documented as (name, options)
        di = doc.length;
      } else {
        out.push(undocumented(draft, log, cp));
      }
      continue;
    }
    const dp = doc[di];
    if (dp) {
      di++;
      if (dp.name !== cp && !dp.vararg) {
        log.add(
          'param_name_mismatch',
          draft.name,
          draft.source,
          `documented parameter '${dp.name}' is '${cp}' in the code`,
          { doc: dp.name, code: cp },
        );
        draft.mismatches.push({ doc: dp.name, code: cp });
      }
      out.push(dp);
    } else {
      out.push(undocumented(draft, log, cp));
    }
  }
  out.push(...doc.slice(di));
  draft.params = out;
}

function undocumented(draft: FunctionDraft, log: DefectLog, cp: string): ParamDraft {
  const vararg = cp === '...';
  const inferred = vararg ? undefined : draft.facts?.checkedTypes[cp];
  log.add(
    'missing_tparam',
    draft.name,
    draft.source,
    `parameter '${cp}' exists in the code but has no @tparam (type ${inferred ?? 'any'}${inferred ? ' inferred from a type() check' : ' unknown'})`,
    { param: cp },
  );
  return { name: cp, type: inferred ?? 'any', optional: vararg, documented: false, vararg };
}

/** `kong.log.LEVEL` → one draft per `kong.log.x()` its text lists; names in the code's `_LEVELS` table left out are reported. */
function expandPlaceholder(
  block: DocBlock,
  label: string,
  source: string,
  tokens: readonly Token[],
  log: DefectLog,
  out: PdkFileResult,
): FunctionDraft[] {
  const prefix = label.slice(0, label.lastIndexOf('.'));
  const placeholder = label.slice(prefix.length + 1);
  const names: string[] = [];
  const re = new RegExp(`\`${prefix.replace(/\./g, '\\.')}\\.([a-z_][a-z0-9_]*)\\(\\)\``, 'g');
  for (const m of block.summary.matchAll(re)) if (!names.includes(m[1]!)) names.push(m[1]!);
  if (names.length === 0) out.warnings.push(`${source}: ${label} lists no ${prefix}.x() names to expand into`);
  // The code's table of the placeholder's values, by convention `_LEVELS` for LEVEL.
  for (const k of tableKeys(tokens, `_${placeholder}S`))
    if (!names.includes(k)) out.undocumented.push(`${prefix}.${k}`);
  // The tags are read once (defects reported once), then copied to each expansion.
  const template: FunctionDraft = {
    name: label,
    label,
    source,
    ldoc: block.ldoc,
    colon: false,
    params: [],
    returns: [],
    returnsNothing: false,
    mismatches: [],
  };
  readTags(block, template, log, out.warnings);
  return names.map((n) => ({ ...structuredClone(template), name: `${prefix}.${n}` }));
}

/** Keys of the table constructor `name = { k = …, … }` (identifier keys, depth 1). */
function tableKeys(tokens: readonly Token[], name: string): string[] {
  for (let k = 0; k + 2 < tokens.length; k++) {
    if (tokens[k]!.value !== name || tokens[k + 1]!.value !== '=' || tokens[k + 2]!.value !== '{') continue;
    const keys: string[] = [];
    let depth = 0;
    for (let j = k + 2; j < tokens.length; j++) {
      const t = tokens[j]!;
      if (t.value === '{' && t.kind === 'op') depth++;
      else if (t.value === '}' && t.kind === 'op') {
        if (--depth === 0) break;
      } else if (
        depth === 1 &&
        t.kind === 'name' &&
        tokens[j + 1]?.value === '=' &&
        (tokens[j - 1]?.value === '{' || tokens[j - 1]?.value === ',')
      )
        keys.push(t.value);
    }
    return keys;
  }
  return [];
}
