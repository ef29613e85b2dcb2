/**
 * Loads idl/extract-rules.yaml: the reviewed list of Kong doc defects the extractor knows, each
 * with its repair and the reason, plus the MsgPack judgments the code cannot show (a `table`
 * that is really a native object, a live span). The extractor detects defects by itself; a rule
 * is what makes a defect *reviewed* and, for the kinds that need judgment (a malformed tag, a
 * wrong label), what allows the repair at all. Rules that match nothing in any tree read are
 * reported, so a fixed Kong doc shows up as a stale rule.
 */
import * as fs from 'node:fs';
import { parse } from 'yaml';
import type { DefectKind } from './model.js';

/** The repair each defect kind admits (see the rules file's header for what each does). */
export const REPAIRS: Record<DefectKind, readonly string[]> = {
  missing_tparam: ['code_param', 'dropped_by_override'],
  malformed_tag: ['recover_param'],
  not_ldoc_block: ['read_block'],
  name_mismatch: ['use_code_name'],
  param_name_mismatch: ['keep_doc_name'],
  undocumented_nil_err: ['flag'],
  wrong_treturn: ['report'],
  optional_undocumented: ['report'],
  unknown_tag: ['report'],
};

/** One reviewed defect. */
export interface DefectRule {
  id: string;
  kind: DefectKind;
  /** The function as labelled by Kong's doc (before a `use_code_name` rename). */
  function: string;
  repair: string;
  /** missing_tparam / optional_undocumented: the parameter. */
  param?: string;
  /** malformed_tag: the tag as written, without `@` and modifiers. */
  tag?: string;
  /** param_name_mismatch: the documented and the code name. */
  doc?: string;
  code?: string;
  /** wrong_treturn: the type the doc gives (the rule applies while the doc still says so). */
  documented?: string;
  /** wrong_treturn: what the code returns, and where the typing is repaired. */
  actual?: string;
  repaired_in?: string;
  why: string;
}

/** One MsgPack judgment: a problem (not callable) or a limitation (callable, with a caveat). */
export interface MsgpackRule {
  id: string;
  function: string;
  param?: string;
  problem?: string;
  limitation?: string;
  why: string;
}

/** The rules file. */
export interface ExtractRules {
  defects: DefectRule[];
  msgpack: MsgpackRule[];
}

/** Thrown for a rules file that does not have the expected shape. */
export class RulesError extends Error {}

const FORMAT = 'kong-ts-pdk/extract-rules/1';

function str(v: unknown, where: string, key: string, required = true): string | undefined {
  if (v === undefined && !required) return undefined;
  if (typeof v !== 'string' || v.length === 0) throw new RulesError(`${where}: '${key}' must be a non-empty string`);
  return v;
}

/** Parses and checks a rules document. */
export function parseRules(text: string, display = 'extract-rules.yaml'): ExtractRules {
  const doc = parse(text) as Record<string, unknown> | null;
  if (!doc || doc['format'] !== FORMAT) throw new RulesError(`${display}: format must be ${FORMAT}`);
  const ids = new Set<string>();
  const seenId = (where: string, id: string): void => {
    if (ids.has(id)) throw new RulesError(`${where}: id '${id}' is used twice`);
    ids.add(id);
  };
  const defects = ((doc['defects'] ?? []) as Record<string, unknown>[]).map((r, i): DefectRule => {
    const where = `${display}: defects[${i}]`;
    const kind = str(r['kind'], where, 'kind') as DefectKind;
    if (!(kind in REPAIRS)) throw new RulesError(`${where}: unknown kind '${kind}'`);
    const repair = str(r['repair'], where, 'repair')!;
    if (!REPAIRS[kind].includes(repair))
      throw new RulesError(`${where}: kind ${kind} admits repair ${REPAIRS[kind].join(' or ')}, not '${repair}'`);
    const why = str(r['why'], where, 'why')!;
    if (why.length < 10) throw new RulesError(`${where}: 'why' must say why`);
    const rule: DefectRule = {
      id: str(r['id'], where, 'id')!,
      kind,
      function: str(r['function'], where, 'function')!,
      repair,
      why,
    };
    for (const key of ['param', 'tag', 'doc', 'code', 'documented', 'actual', 'repaired_in'] as const) {
      const v = str(r[key], where, key, false);
      if (v !== undefined) rule[key] = v;
    }
    const needs: Partial<Record<DefectKind, (keyof DefectRule)[]>> = {
      missing_tparam: ['param'],
      malformed_tag: ['tag'],
      param_name_mismatch: ['doc', 'code'],
      wrong_treturn: ['documented', 'actual'],
      optional_undocumented: ['param'],
    };
    for (const key of needs[kind] ?? [])
      if (rule[key] === undefined) throw new RulesError(`${where}: kind ${kind} needs '${key}'`);
    seenId(where, rule.id);
    return rule;
  });
  const msgpack = ((doc['msgpack'] ?? []) as Record<string, unknown>[]).map((r, i): MsgpackRule => {
    const where = `${display}: msgpack[${i}]`;
    const rule: MsgpackRule = {
      id: str(r['id'], where, 'id')!,
      function: str(r['function'], where, 'function')!,
      why: str(r['why'], where, 'why')!,
    };
    for (const key of ['param', 'problem', 'limitation'] as const) {
      const v = str(r[key], where, key, false);
      if (v !== undefined) rule[key] = v;
    }
    if ((rule.problem === undefined) === (rule.limitation === undefined))
      throw new RulesError(`${where}: give exactly one of 'problem' or 'limitation'`);
    seenId(where, rule.id);
    return rule;
  });
  return { defects, msgpack };
}

/** Reads a rules file from disk. */
export function loadRules(file: string): ExtractRules {
  return parseRules(fs.readFileSync(file, 'utf8'), file);
}

/** No rules at all: every defect is reported as unreviewed and only mechanical repairs apply. */
export const NO_RULES: ExtractRules = { defects: [], msgpack: [] };

/** Looks rules up and remembers which ones were used, to report stale ones. */
export class RuleBook {
  readonly used = new Set<string>();

  constructor(readonly rules: ExtractRules) {}

  /** The defect rule for `kind` on `fn` whose extra keys all equal `match`'s, if any; marks it used. */
  find(
    kind: DefectKind,
    fn: string,
    match: Partial<Pick<DefectRule, 'param' | 'tag' | 'doc' | 'code' | 'documented'>> = {},
  ): DefectRule | undefined {
    const rule = this.rules.defects.find(
      (r) =>
        r.kind === kind &&
        r.function === fn &&
        Object.entries(match).every(
          ([k, v]) => r[k as keyof DefectRule] === undefined || r[k as keyof DefectRule] === v,
        ),
    );
    if (rule) this.used.add(rule.id);
    return rule;
  }

  /** Defect rules of `kind` for `fn` (without marking them used). */
  candidates(kind: DefectKind, fn: string): DefectRule[] {
    return this.rules.defects.filter((r) => r.kind === kind && r.function === fn);
  }

  /** The MsgPack rules for `fn`; marks them used. */
  msgpackFor(fn: string): MsgpackRule[] {
    const rules = this.rules.msgpack.filter((r) => r.function === fn);
    for (const r of rules) this.used.add(r.id);
    return rules;
  }

  /** Ids of rules never used. */
  unused(): string[] {
    return [...this.rules.defects, ...this.rules.msgpack].map((r) => r.id).filter((id) => !this.used.has(id));
  }
}
