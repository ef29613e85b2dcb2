/**
 * Merges the extractions of several Kong trees (2.8.0, 3.0.0, …, main) into one pdk.yaml:
 * each function carries `since`/`until` (first/last tracked release that has it), each
 * parameter `since`, and the entry itself is the newest release's. Changes the pdk.yaml format
 * cannot hold yet (a parameter that went away, a phase list or an RPC fix that changed, the
 * return-value handling of call_pdk_method) are returned as `history` for the report.
 */
import type { PdkFile, PdkFunction, TreeExtraction } from './model.js';

/** One value a field had over a run of tracked releases. */
export interface Range<T = unknown> {
  since: string;
  until: string;
  value: T;
}

/** What changed for one function across the trees, beyond what pdk.yaml records. */
export interface FunctionHistory {
  name: string;
  /** Releases that have it (a gap means it went away and came back). */
  present: string[];
  /** Field → the values it had, oldest first (only fields that changed). */
  fields: Record<string, Range[]>;
  /** Parameters that existed once and are gone in the newest release that has the function. */
  removedParams: { name: string; since: string; until: string }[];
}

/** The merge's output. */
export interface MergeResult {
  file: PdkFile;
  history: FunctionHistory[];
  /** Functions absent from the newest tree (kept in `file` only with `keepRemoved`). */
  removed: { name: string; since: string; until: string }[];
  /** call_pdk_method's handling of return values per release. */
  rpcLayer: Range<string>[];
}

/** Orders release labels: numeric versions ascending, `main` last. */
export function compareLabels(a: string, b: string): number {
  if (a === b) return 0;
  if (a === 'main') return 1;
  if (b === 'main') return -1;
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

/** The fields whose change over releases the history records. */
function trackedFields(f: PdkFunction): Record<string, unknown> {
  return {
    params: f.params.map((p) => ({ name: p.name, type: p.type, optional: p.optional ?? false, documented: p.documented ?? true })),
    returns: f.returns,
    returns_nothing: f.returns_nothing ?? false,
    nil_err: f.nil_err ?? false,
    code_returns_nil_err: f.code_returns_nil_err ?? false,
    phases: f.phases ?? null,
    phase_conditions: f.phase_conditions ?? {},
    never_returns: f.never_returns ?? false,
    subsystem: f.subsystem ?? null,
    colon_method: f.colon_method ?? false,
    'msgpack.callable': f.msgpack.callable ?? true,
    'msgpack.step': f.msgpack.step ?? 'plugin.Step',
    'msgpack.result_fix': f.msgpack.result_fix ?? null,
    'msgpack.exposed_api': f.msgpack.exposed_api ?? null,
    'msgpack.log_phase_saved': f.msgpack.log_phase_saved ?? false,
    'msgpack.effects': f.msgpack.effects ?? [],
    protobuf: f.protobuf ?? null,
    source_file: f.source?.replace(/:\d+$/, '') ?? null,
  };
}

/** Runs of equal values over `labels`. */
function ranges<T>(labels: string[], values: T[]): Range<T>[] {
  const out: Range<T>[] = [];
  values.forEach((v, i) => {
    const last = out[out.length - 1];
    if (last && JSON.stringify(last.value) === JSON.stringify(v)) last.until = labels[i]!;
    else out.push({ since: labels[i]!, until: labels[i]!, value: v });
  });
  return out;
}

/** Merges trees (any order; sorted here). `keepRemoved` keeps functions the newest tree lacks, with `until`. */
export function mergeTrees(input: readonly TreeExtraction[], opts: { keepRemoved?: boolean } = {}): MergeResult {
  if (input.length === 0) throw new Error('nothing to merge');
  const trees = [...input].sort((a, b) => compareLabels(a.label, b.label));
  const labels = trees.map((t) => t.label);
  const newest = trees[trees.length - 1]!;
  const oldest = labels[0]!;

  const byName = new Map<string, { label: string; f: PdkFunction }[]>();
  for (const t of trees) for (const f of t.functions) byName.set(f.name, [...(byName.get(f.name) ?? []), { label: t.label, f }]);

  // Order: the newest tree's, with functions gone since inserted after their last predecessor.
  const order = newest.functions.map((f) => f.name);
  const removed: MergeResult['removed'] = [];
  for (let ti = trees.length - 2; ti >= 0; ti--) {
    const fns = trees[ti]!.functions;
    fns.forEach((f, i) => {
      if (order.includes(f.name)) return;
      const prev = fns.slice(0, i).reverse().find((p) => order.includes(p.name));
      order.splice(prev ? order.indexOf(prev.name) + 1 : 0, 0, f.name);
    });
  }

  const history: FunctionHistory[] = [];
  const functions: PdkFunction[] = [];
  for (const name of order) {
    const seen = byName.get(name)!;
    const latest = seen[seen.length - 1]!;
    const since = seen[0]!.label;
    const until = latest.label;
    const f: PdkFunction = structuredClone(latest.f);
    // Rebuild with since/until in schema key order (the writer orders keys anyway).
    delete f.since;
    delete f.until;
    if (since !== oldest) f.since = since;
    if (until !== newest.label) {
      f.until = until;
      removed.push({ name, since, until });
    }
    for (const p of f.params) {
      const first = seen.find((s) => s.f.params.some((q) => q.name === p.name));
      delete p.since;
      if (first && first.label !== since) p.since = first.label;
    }

    const h: FunctionHistory = { name, present: seen.map((s) => s.label), fields: {}, removedParams: [] };
    const values = seen.map((s) => trackedFields(s.f));
    for (const key of Object.keys(values[0]!)) {
      const r = ranges(
        h.present,
        values.map((v) => v[key]),
      );
      if (r.length > 1) h.fields[key] = r;
    }
    const allParams = new Set(seen.flatMap((s) => s.f.params.map((p) => p.name)));
    for (const pname of allParams) {
      if (f.params.some((p) => p.name === pname)) continue;
      const had = seen.filter((s) => s.f.params.some((p) => p.name === pname));
      h.removedParams.push({ name: pname, since: had[0]!.label, until: had[had.length - 1]!.label });
    }
    if (Object.keys(h.fields).length || h.removedParams.length || h.present.length !== labels.length) history.push(h);
    if (!f.until || opts.keepRemoved) functions.push(f);
  }

  return {
    file: {
      format: 'kong-ts-pdk/pdk/1',
      kong: { version: newest.version, ...(newest.commit ? { commit: newest.commit } : {}), tracked: labels },
      functions,
    },
    history,
    removed,
    rpcLayer: ranges(
      labels,
      trees.map((t) => t.rpc.callPdkMethodReturns ?? 'unknown'),
    ),
  };
}
