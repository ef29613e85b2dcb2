/**
 * Merges the extractions of several Kong trees (2.8.0, 3.0.0, …, main) into one pdk.yaml:
 * each function carries `since`/`until` (first/last tracked release that has it), each
 * parameter `since` (and `until` when it went away: kept in the list after its predecessor),
 * and the entry itself is the newest release's. Every older value of a field that changed (a
 * phase list, an RPC fix, a parameter's type, …) goes to the function's `changes`, and the
 * return-value handling of call_pdk_method per release to `kong.rpc`. The same ranges are
 * also returned as `history` for the JSON report.
 */
import { compareKongVersions } from '../../common/kong-version.js';
import type { PdkChange, PdkFile, PdkFunction, PdkParam, PdkRpcFact, TreeExtraction } from './model.js';

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

/** The fields whose change over releases the history records. */
function trackedFields(f: PdkFunction): Record<string, unknown> {
  return {
    params: f.params.map((p) => ({
      name: p.name,
      type: p.type,
      optional: p.optional ?? false,
      documented: p.documented ?? true,
    })),
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

/** The values of the tracked fields when pdk.yaml leaves them out. */
const DEFAULTS = trackedFields({ name: 'kong.x', params: [], returns: [], msgpack: {} });

/** The tracked attributes of one parameter, with their defaults. */
const paramFields = (p: PdkParam): Record<string, unknown> => ({
  type: p.type,
  optional: p.optional ?? false,
  documented: p.documented ?? true,
});
const PARAM_DEFAULTS: Record<string, unknown> = { optional: false, documented: true };

/** The change entries of one field: every range but the newest. `first` = where `since` is implied. */
function changeEntries(field: string, rs: readonly Range[], first: string, dflt: unknown): PdkChange[] {
  return rs.slice(0, -1).map((r) => ({
    field,
    ...(r.since !== first ? { since: r.since } : {}),
    until: r.until,
    ...(JSON.stringify(r.value) !== JSON.stringify(dflt) ? { value: r.value } : {}),
  }));
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
  const trees = [...input].sort((a, b) => compareKongVersions(a.label, b.label));
  const labels = trees.map((t) => t.label);
  const newest = trees[trees.length - 1]!;
  const oldest = labels[0]!;

  const byName = new Map<string, { label: string; f: PdkFunction }[]>();
  for (const t of trees)
    for (const f of t.functions) byName.set(f.name, [...(byName.get(f.name) ?? []), { label: t.label, f }]);

  // Order: the newest tree's, with functions gone since inserted after their last predecessor.
  const order = newest.functions.map((f) => f.name);
  const removed: MergeResult['removed'] = [];
  for (let ti = trees.length - 2; ti >= 0; ti--) {
    const fns = trees[ti]!.functions;
    fns.forEach((f, i) => {
      if (order.includes(f.name)) return;
      const prev = fns
        .slice(0, i)
        .reverse()
        .find((p) => order.includes(p.name));
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
    const changes: PdkChange[] = [];
    for (const key of Object.keys(values[0]!)) {
      const r = ranges(
        h.present,
        values.map((v) => v[key]),
      );
      if (r.length > 1) h.fields[key] = r;
      if (key !== 'params') {
        changes.push(...changeEntries(key, r, since, DEFAULTS[key]));
        continue;
      }
      // Parameters: added ones carry since, removed ones until, and each attribute that changed a change.
      const allParams = [...new Set(seen.flatMap((s) => s.f.params.map((p) => p.name)))];
      for (const pname of allParams) {
        const had = seen.filter((s) => s.f.params.some((p) => p.name === pname));
        const p = f.params.find((q) => q.name === pname);
        const attrs = had.map((s) => paramFields(s.f.params.find((q) => q.name === pname)!));
        for (const attr of Object.keys(attrs[0]!)) {
          const ar = ranges(
            had.map((s) => s.label),
            attrs.map((a) => a[attr]),
          );
          if (p)
            changes.push(...changeEntries(`params.${pname}.${attr}`, ar, had[0]!.label, PARAM_DEFAULTS[attr] ?? null));
        }
        if (p) continue;
        const last = had[had.length - 1]!;
        h.removedParams.push({ name: pname, since: had[0]!.label, until: last.label });
        // Kept with until, right after its predecessor in the last release that had it.
        const gone: PdkParam = structuredClone(last.f.params.find((q) => q.name === pname)!);
        delete gone.since;
        delete gone.until;
        if (had[0]!.label !== since) gone.since = had[0]!.label;
        gone.until = last.label;
        const lastParams = last.f.params.map((q) => q.name);
        const prev = lastParams
          .slice(0, lastParams.indexOf(pname))
          .reverse()
          .find((n) => f.params.some((q) => q.name === n));
        f.params.splice(prev ? f.params.findIndex((q) => q.name === prev) + 1 : 0, 0, gone);
      }
    }
    delete f.changes;
    if (changes.length) f.changes = changes;
    if (Object.keys(h.fields).length || h.removedParams.length || h.present.length !== labels.length) history.push(h);
    if (!f.until || opts.keepRemoved) functions.push(f);
  }

  const rpcLayer = ranges(
    labels,
    trees.map((t) => t.rpc.callPdkMethodReturns ?? 'unknown'),
  );
  const rpc: PdkRpcFact[] = rpcLayer
    .filter((r) => r.value !== 'unknown')
    .map((r) => ({
      fact: 'call_pdk_method_returns',
      value: r.value,
      ...(r.since !== oldest ? { since: r.since } : {}),
      ...(r.until !== newest.label ? { until: r.until } : {}),
    }));
  return {
    file: {
      format: 'kong-ts-pdk/pdk/1',
      kong: {
        version: newest.version,
        ...(newest.commit ? { commit: newest.commit } : {}),
        tracked: labels,
        ...(rpc.length ? { rpc } : {}),
      },
      functions,
    },
    history,
    removed,
    rpcLayer,
  };
}
