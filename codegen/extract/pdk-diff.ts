/**
 * `pdk-diff <old.yaml> <new.yaml>`: what changed between two pdk.yaml files, as Markdown —
 * functions added and removed, and per function the changes that reach bindings: parameters,
 * returns and `(nil, err)`, phases, and how Kong's RPC layer handles it (Step method, result
 * fix, exposed_api override, callability, the ProtoBuf rpc), and the version history the new
 * file records that the old one did not (`changes`, parameters with `until`, `kong.rpc`). This
 * is the review aid for a Kong bump: extract the new release, diff, read.
 */
import * as fs from 'node:fs';
import { parse } from 'yaml';
import type { PdkChange, PdkFile, PdkFunction, PdkParam, PdkReturn } from './model.js';
import { flowValue } from './yaml-writer.js';

/** Reads a pdk.yaml (no validation beyond the top-level shape: the loader validates). */
export function readPdkYaml(file: string): PdkFile {
  const doc = parse(fs.readFileSync(file, 'utf8')) as PdkFile | null;
  if (!doc || !Array.isArray(doc.functions) || !doc.kong)
    throw new Error(`${file} is not a pdk.yaml (no kong/functions)`);
  return doc;
}

const code = (s: string): string => `\`${s.replace(/\|/g, '\\|')}\``;

/** `name?: type` as a diff shows a parameter. */
function paramText(p: PdkParam): string {
  if (p.vararg || p.name === '...') return `...: ${p.type}`;
  return `${p.name}${p.optional ? '?' : ''}: ${p.type}`;
}

function returnsText(rs: readonly PdkReturn[]): string {
  if (rs.length === 0) return 'nothing';
  return rs.map((r) => code(`${r.type}${r.error ? ' (err)' : ''}`)).join(', ');
}

/** The parameters the newest release takes (one with `until` is gone). */
function currentParams(f: PdkFunction): PdkParam[] {
  return f.params.filter((p) => !p.until);
}

function signature(f: PdkFunction): string {
  return `${f.name}(${currentParams(f).map(paramText).join(', ')})`;
}

/** A recorded range as a diff shows it: `phases` was `[rewrite, access]` up to 3.4.0. */
export function changeText(c: PdkChange): string {
  const range = c.since ? `${c.since} → ${c.until}` : `up to ${c.until}`;
  return `${code(c.field)} was ${c.value === undefined ? 'absent' : code(flowValue(c.value))} ${range}`;
}

function rangeText(since: string | undefined, until: string | undefined): string {
  return since && until
    ? `${since} → ${until}`
    : since
      ? `from ${since}`
      : until
        ? `up to ${until}`
        : 'in every tracked release';
}

/** The label of the newest release a file describes. */
function newestLabel(file: PdkFile): string {
  return file.kong.tracked[file.kong.tracked.length - 1] ?? file.kong.version;
}

/** Functions present in the file's newest release (an entry with `until` is gone). */
function present(file: PdkFile): Map<string, PdkFunction> {
  return new Map(file.functions.filter((f) => !f.until).map((f) => [f.name, f]));
}

function listDiff(before: readonly string[], after: readonly string[]): { added: string[]; removed: string[] } {
  return { added: after.filter((x) => !before.includes(x)), removed: before.filter((x) => !after.includes(x)) };
}

/** The changes of one function, as bullet texts grouped by topic. */
export function functionChanges(a: PdkFunction, b: PdkFunction): { topic: string; text: string }[] {
  const out: { topic: string; text: string }[] = [];
  const add = (topic: string, text: string): void => {
    out.push({ topic, text });
  };

  // Parameters, matched by name.
  const pa = new Map(currentParams(a).map((p) => [p.name, p]));
  const pb = new Map(currentParams(b).map((p) => [p.name, p]));
  for (const p of currentParams(b)) {
    const old = pa.get(p.name);
    if (!old) add('params', `added ${code(paramText(p))}${p.documented === false ? ' (undocumented)' : ''}`);
    else {
      if (old.type !== p.type) add('params', `${code(p.name)}: type ${code(old.type)} → ${code(p.type)}`);
      if (Boolean(old.optional) !== Boolean(p.optional))
        add('params', `${code(p.name)}: ${p.optional ? 'now optional' : 'now required'}`);
      if ((old.documented ?? true) !== (p.documented ?? true))
        add('params', `${code(p.name)}: ${p.documented === false ? 'no longer documented' : 'now documented'}`);
    }
  }
  for (const p of currentParams(a)) if (!pb.has(p.name)) add('params', `removed ${code(paramText(p))}`);
  const orderA = currentParams(a)
    .map((p) => p.name)
    .filter((n) => pb.has(n));
  const orderB = currentParams(b)
    .map((p) => p.name)
    .filter((n) => pa.has(n));
  if (orderA.join(',') !== orderB.join(','))
    add('params', `order ${code(orderA.join(', '))} → ${code(orderB.join(', '))}`);

  // Returns.
  if (
    JSON.stringify(a.returns.map((r) => [r.type, Boolean(r.error)])) !==
    JSON.stringify(b.returns.map((r) => [r.type, Boolean(r.error)]))
  ) {
    add('returns', `${returnsText(a.returns)} → ${returnsText(b.returns)}`);
  }
  const flag = (
    key: 'nil_err' | 'code_returns_nil_err' | 'never_returns' | 'returns_nothing' | 'colon_method',
    what: string,
    topic = 'returns',
  ): void => {
    if (Boolean(a[key]) !== Boolean(b[key])) add(topic, `${what}: ${b[key] ? 'now' : 'no longer'}`);
  };
  flag('nil_err', '`(nil, err)` documented');
  flag('code_returns_nil_err', '`(nil, err)` returned by the code but undocumented');
  flag('never_returns', 'never returns');
  flag('returns_nothing', 'documented to return nothing');
  flag('colon_method', 'colon method', 'kind');

  // Phases.
  if (a.phases || b.phases) {
    if (!a.phases) add('phases', `now documented: ${b.phases!.map(code).join(', ')}`);
    else if (!b.phases) add('phases', 'no longer documented');
    else {
      const d = listDiff(a.phases, b.phases);
      if (d.added.length) add('phases', `added ${d.added.map(code).join(', ')}`);
      if (d.removed.length) add('phases', `removed ${d.removed.map(code).join(', ')}`);
    }
  }
  if (JSON.stringify(a.phase_conditions ?? {}) !== JSON.stringify(b.phase_conditions ?? {})) {
    add(
      'phases',
      `conditions ${code(JSON.stringify(a.phase_conditions ?? {}))} → ${code(JSON.stringify(b.phase_conditions ?? {}))}`,
    );
  }
  if (a.subsystem !== b.subsystem) add('kind', `subsystem ${a.subsystem ?? 'any'} → ${b.subsystem ?? 'any'}`);
  if ((a.kind ?? 'pdk') !== (b.kind ?? 'pdk')) add('kind', `${a.kind ?? 'pdk'} → ${b.kind ?? 'pdk'}`);

  // RPC handling.
  const ma = a.msgpack;
  const mb = b.msgpack;
  const show = (v: unknown): string => (v === undefined ? '–' : code(String(v)));
  if ((ma.callable ?? true) !== (mb.callable ?? true))
    add(
      'rpc',
      `${mb.callable === false ? 'no longer callable over MsgPack' : 'now callable over MsgPack'}${mb.problems?.length ? ` (${mb.problems.join('; ')})` : ''}`,
    );
  if ((ma.step ?? 'plugin.Step') !== (mb.step ?? 'plugin.Step'))
    add('rpc', `Step method ${code(ma.step ?? 'plugin.Step')} → ${code(mb.step ?? 'plugin.Step')}`);
  if (ma.result_fix !== mb.result_fix) add('rpc', `result fix ${show(ma.result_fix)} → ${show(mb.result_fix)}`);
  if (ma.exposed_api !== mb.exposed_api) add('rpc', `exposed_api ${show(ma.exposed_api)} → ${show(mb.exposed_api)}`);
  if (Boolean(ma.log_phase_saved) !== Boolean(mb.log_phase_saved))
    add(
      'rpc',
      `log phase ${mb.log_phase_saved ? 'now answers from saved request data' : 'no longer answers from saved request data'}`,
    );
  for (const key of ['effects', 'problems', 'limitations'] as const) {
    const d = listDiff(ma[key] ?? [], mb[key] ?? []);
    for (const x of d.added) add('rpc', `${key.replace(/s$/, '')} added: ${x}`);
    for (const x of d.removed) add('rpc', `${key.replace(/s$/, '')} removed: ${x}`);
  }
  const pbText = (p: PdkFunction['protobuf']): string => (p ? code(`${p.rpc}(${p.input}) → ${p.output}`) : '–');
  if (JSON.stringify(a.protobuf ?? null) !== JSON.stringify(b.protobuf ?? null))
    add('rpc', `ProtoBuf rpc ${pbText(a.protobuf)} → ${pbText(b.protobuf)}`);
  const fileA = a.source?.replace(/:\d+$/, '');
  const fileB = b.source?.replace(/:\d+$/, '');
  if (fileA && fileB && fileA !== fileB)
    add(b.kind === 'rpc_only' || mb.exposed_api ? 'rpc' : 'kind', `defined in ${code(fileA)} → ${code(fileB)}`);

  // Version history the new file records and the old one did not.
  const known = new Set((a.changes ?? []).map((c) => JSON.stringify(c)));
  for (const c of b.changes ?? []) if (!known.has(JSON.stringify(c))) add('history', changeText(c));
  for (const p of b.params.filter((q) => q.until)) {
    if (!a.params.some((q) => q.name === p.name && q.until === p.until))
      add('history', `parameter ${code(paramText(p))} ${rangeText(p.since, p.until)}`);
  }
  return out;
}

const TOPICS: Record<string, string> = {
  params: 'params',
  returns: 'returns',
  phases: 'phases',
  rpc: 'RPC',
  kind: 'kind',
  history: 'history',
};

/** The Markdown report of what changed from `oldFile` to `newFile`. */
export function pdkDiff(oldFile: PdkFile, newFile: PdkFile): string {
  const a = present(oldFile);
  const b = present(newFile);
  const added = [...b.values()].filter((f) => !a.has(f.name));
  const removed = [...a.values()].filter((f) => !b.has(f.name));
  const changed = [...b.values()]
    .filter((f) => a.has(f.name))
    .map((f) => ({ f, changes: functionChanges(a.get(f.name)!, f) }))
    .filter((c) => c.changes.length > 0);

  const from = `${newestLabel(oldFile)} (${oldFile.kong.version})`;
  const to = `${newestLabel(newFile)} (${newFile.kong.version})`;
  const lines: string[] = [`# PDK changes: Kong ${from} → ${to}`, ''];
  lines.push('| | before | after |', '| --- | ---: | ---: |');
  lines.push(`| functions | ${a.size} | ${b.size} |`);
  lines.push(
    `| RPC-only | ${[...a.values()].filter((f) => f.kind === 'rpc_only').length} | ${[...b.values()].filter((f) => f.kind === 'rpc_only').length} |`,
  );
  lines.push(
    `| with a ProtoBuf rpc | ${[...a.values()].filter((f) => f.protobuf).length} | ${[...b.values()].filter((f) => f.protobuf).length} |`,
  );
  lines.push('');
  lines.push(`Added ${added.length}, removed ${removed.length}, changed ${changed.length}.`, '');
  const rpcA = JSON.stringify(oldFile.kong.rpc ?? []);
  if (newFile.kong.rpc?.length && JSON.stringify(newFile.kong.rpc) !== rpcA) {
    lines.push(
      `RPC layer: ${newFile.kong.rpc.map((r) => `${r.fact} ${code(r.value)} ${rangeText(r.since, r.until)}`).join('; ')}.`,
      '',
    );
  }

  lines.push(`## Added (${added.length})`, '');
  if (added.length === 0) lines.push('None.');
  for (const f of added) {
    const extra = [
      f.kind === 'rpc_only' ? 'RPC-only' : '',
      f.msgpack.callable === false ? 'not callable over MsgPack' : '',
      f.subsystem ? `${f.subsystem} only` : '',
    ].filter(Boolean);
    lines.push(`- ${code(signature(f))} → ${returnsText(f.returns)}${extra.length ? ` (${extra.join(', ')})` : ''}`);
  }
  lines.push('', `## Removed (${removed.length})`, '');
  if (removed.length === 0) lines.push('None.');
  for (const f of removed) lines.push(`- ${code(signature(f))}`);
  lines.push('', `## Changed (${changed.length})`, '');
  if (changed.length === 0) lines.push('None.');
  for (const { f, changes } of changed) {
    lines.push(`### ${code(f.name)}`, '');
    for (const topic of Object.keys(TOPICS)) {
      for (const c of changes.filter((x) => x.topic === topic)) lines.push(`- ${TOPICS[topic]}: ${c.text}`);
    }
    lines.push('');
  }
  return `${lines.join('\n').replace(/\n+$/, '')}\n`;
}
