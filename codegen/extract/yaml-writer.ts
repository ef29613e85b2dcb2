/**
 * Writes idl/pdk.yaml in exactly the layout of the committed file: its header comment, key
 * order (the schema's), flow style for short lists (`phases: [...]`, `protobuf: {...}`,
 * `{doc: …, code: …}`) and its quoting (double quotes only where a plain scalar would be
 * ambiguous or where the committed file quotes: anything with `:`, `|` or `#`). A generic
 * YAML dumper would reflow and requote, and every regeneration would then be a noisy diff.
 */
import type { PdkFile, PdkFunction, PdkParam } from './model.js';

/** The header of idl/pdk.yaml. */
export const PDK_HEADER = [
  "# Kong PDK functions callable by an external plugin, as read from Kong's sources.",
  '#',
  "# Facts only, in Kong's own terms (Lua types as documented): typing refinements and",
  "# repairs of Kong's doc defects live in pdk-overrides.yaml, each with its reason.",
  '# `since`: first tracked Kong release whose surface has the function (tracked releases',
  '# are listed under kong.tracked); absent = present in the oldest tracked release.',
];

const UNTIL_NOTE = '# `until`: last tracked Kong release whose surface has it; absent = still in the newest.';
const CHANGES_NOTE = [
  '# `changes`: older values of a field that changed over the tracked releases, oldest first',
  '# (`since` absent = from the first release that has it; `value` absent = the field was absent).',
];

// YAML 1.2 core schema (what the yaml package and the loader read): yes/no/on/off are strings.
const RESERVED = /^(true|false|null|~)$/i;
const NUMBER = /^[-+]?(\d[\d_]*\.?\d*|\.\d+)([eE][-+]?\d+)?$|^0x[0-9a-fA-F]+$|^[-+]?\.(inf|nan)$/i;

/** A scalar as the committed file writes it; `flow` = inside `[…]` or `{…}`. */
export function scalar(value: string | number | boolean, flow = false): string {
  if (typeof value !== 'string') return String(value);
  const quote =
    value === '' ||
    /[:|#]/.test(value) ||
    /^[\s\-?[\]{},&*!>'"%@`]/.test(value) ||
    /\s$/.test(value) ||
    RESERVED.test(value) ||
    NUMBER.test(value) ||
    (flow && /[,[\]{}]/.test(value));
  return quote ? JSON.stringify(value) : value;
}

function flowList(items: readonly string[]): string {
  return `[${items.map((i) => scalar(i, true)).join(', ')}]`;
}

function flowMap(entries: [string, string][]): string {
  return `{${entries.map(([k, v]) => `${k}: ${scalar(v, true)}`).join(', ')}}`;
}

/** Any JSON-like value in flow style (`[a, b]`, `{k: v}`), keys in their own order. */
export function flowValue(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return `[${value.map(flowValue).join(', ')}]`;
  if (typeof value === 'object')
    return `{${Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${scalar(k, true)}: ${flowValue(v)}`)
      .join(', ')}}`;
  return scalar(value as string | number | boolean, true);
}

/** One `changes` / `kong.rpc` entry, keys in the given order, absent ones left out. */
function flowEntry(entry: object, keys: readonly string[]): string {
  const e = entry as Record<string, unknown>;
  return `{${keys
    .filter((k) => e[k] !== undefined)
    .map((k) => `${k}: ${flowValue(e[k])}`)
    .join(', ')}}`;
}

function paramLines(p: PdkParam): string[] {
  // name first, then vararg (the committed file writes `vararg: true` before `type` for `...`).
  const lines = [`      - name: ${scalar(p.name)}`];
  if (p.vararg) lines.push('        vararg: true');
  lines.push(`        type: ${scalar(p.type)}`);
  if (p.optional) lines.push('        optional: true');
  if (p.documented === false) lines.push('        documented: false');
  if (p.since) lines.push(`        since: ${scalar(p.since)}`);
  if (p.until) lines.push(`        until: ${scalar(p.until)}`);
  return lines;
}

function functionLines(f: PdkFunction): string[] {
  const out = [`  - name: ${scalar(f.name)}`];
  const put = (key: string, value: string): void => {
    out.push(`    ${key}: ${value}`);
  };
  if (f.kind) put('kind', f.kind);
  if (f.source) put('source', JSON.stringify(f.source));
  if (f.since) put('since', scalar(f.since));
  if (f.until) put('until', scalar(f.until));
  if (f.subsystem) put('subsystem', f.subsystem);
  if (f.colon_method) put('colon_method', 'true');
  if (f.doc_block_not_ldoc) put('doc_block_not_ldoc', 'true');
  if (f.params.length === 0) put('params', '[]');
  else {
    out.push('    params:');
    for (const p of f.params) out.push(...paramLines(p));
  }
  if (f.returns.length === 0) put('returns', '[]');
  else {
    out.push('    returns:');
    for (const r of f.returns) {
      out.push(`      - type: ${scalar(r.type)}`);
      if (r.error) out.push('        error: true');
    }
  }
  if (f.returns_nothing) put('returns_nothing', 'true');
  if (f.nil_err) put('nil_err', 'true');
  if (f.code_returns_nil_err) put('code_returns_nil_err', 'true');
  if (f.phases) put('phases', flowList(f.phases));
  if (f.phase_conditions && Object.keys(f.phase_conditions).length) {
    out.push('    phase_conditions:');
    for (const [k, v] of Object.entries(f.phase_conditions)) out.push(`      ${k}: ${scalar(v)}`);
  }
  if (f.never_returns) put('never_returns', 'true');
  if (f.param_name_mismatch?.length) {
    out.push('    param_name_mismatch:');
    for (const m of f.param_name_mismatch)
      out.push(
        `      - ${flowMap([
          ['doc', m.doc],
          ['code', m.code],
        ])}`,
      );
  }
  const m = f.msgpack;
  const keys = Object.keys(m).filter((k) => m[k as keyof typeof m] !== undefined);
  if (keys.length === 0) put('msgpack', '{}');
  else {
    out.push('    msgpack:');
    if (m.callable !== undefined) out.push(`      callable: ${m.callable}`);
    if (m.step) out.push(`      step: ${scalar(m.step)}`);
    if (m.result_fix) out.push(`      result_fix: ${m.result_fix}`);
    if (m.exposed_api) out.push(`      exposed_api: ${m.exposed_api}`);
    if (m.log_phase_saved) out.push('      log_phase_saved: true');
    for (const key of ['effects', 'problems', 'limitations'] as const) {
      const list = m[key];
      if (!list?.length) continue;
      out.push(`      ${key}:`);
      for (const item of list) out.push(`        - ${scalar(item)}`);
    }
  }
  if (f.protobuf)
    put(
      'protobuf',
      flowMap([
        ['rpc', f.protobuf.rpc],
        ['input', f.protobuf.input],
        ['output', f.protobuf.output],
      ]),
    );
  if (f.changes?.length) {
    out.push('    changes:');
    for (const c of f.changes) out.push(`      - ${flowEntry(c, ['field', 'since', 'until', 'value'])}`);
  }
  return out;
}

/** The text of a pdk.yaml file. */
export function writePdkYaml(file: PdkFile): string {
  const lines = [...PDK_HEADER];
  if (file.functions.some((f) => f.until || f.params.some((p) => p.until))) lines.push(UNTIL_NOTE);
  if (file.functions.some((f) => f.changes?.length)) lines.push(...CHANGES_NOTE);
  lines.push(`format: ${file.format}`);
  lines.push('kong:');
  lines.push(`  version: ${scalar(file.kong.version)}`);
  if (file.kong.commit) lines.push(`  commit: ${scalar(file.kong.commit)}`);
  lines.push(`  tracked: ${flowList(file.kong.tracked)}`);
  if (file.kong.rpc?.length) {
    lines.push('  rpc:');
    for (const r of file.kong.rpc) lines.push(`    - ${flowEntry(r, ['fact', 'value', 'since', 'until'])}`);
  }
  if (file.functions.length === 0) lines.push('functions: []');
  else {
    lines.push('functions:');
    for (const f of file.functions) lines.push(...functionLines(f));
  }
  return `${lines.join('\n')}\n`;
}
