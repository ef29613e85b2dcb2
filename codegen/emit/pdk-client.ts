/**
 * Emits `generated/pdk.ts` from pdk.yaml + pdk-overrides.yaml: the typed PDK client handed to
 * plugins, its interfaces, and the explicit name table between camelCase and Kong's names.
 *
 * For `kong.request.get_header(name: string) -> string | nil` it writes, in `KongRequest`,
 * `getHeader(name: string): Promise<string | undefined>` with a doc comment (source, phases,
 * version range, quirks) and an implementation that calls
 * `t.call("kong.request.get_header", [name], 0)`.
 */
import type { IdlModel, PdkFunctionModel } from '../idl/model.js';
import { modulePathToTypeName } from '../idl/names.js';
import { referencedNames, toTs, type TypeExpr } from '../idl/type-expr.js';
import { docComment, header, lit, render } from './common.js';

/** The bits that tell the transport how Kong treats a call: the one definition of `PdkCallFlags`. */
export const PDK_CALL_FLAGS: readonly {
  name: string;
  bit: number;
  doc: string;
  set: (f: PdkFunctionModel) => boolean;
}[] = [
  {
    name: 'NEVER_RETURNS',
    bit: 1,
    doc: '`kong.response.exit`/`error`: Kong never answers; the event ends with this call.',
    set: (f) => f.neverReturns,
  },
  {
    name: 'RAW_BYTES',
    bit: 2,
    doc: 'The result is raw bytes (bin from Kong 3.0, str before): hand the plugin a Buffer.',
    set: (f) => f.resultFix === 'raw_bytes',
  },
  {
    name: 'MULTIMAP',
    bit: 4,
    doc: "The result is a multimap (Kong's fix_mmap); an empty Lua table may arrive as `[]`.",
    set: (f) => f.resultFix === 'multimap',
  },
];

/** The flags of a function's calls. */
export function callFlags(f: PdkFunctionModel): number {
  return PDK_CALL_FLAGS.reduce((bits, flag) => (flag.set(f) ? bits | flag.bit : bits), 0);
}

/** `Kong 2.8.0 or earlier → current`, `Kong 3.8.0 → current`, `Kong 3.9.0 → 3.9.3`. */
export function versionRange(idl: IdlModel, since?: string, until?: string): string {
  const oldest = idl.kong.tracked[0];
  const from = since ?? `${oldest} or earlier`;
  return `Kong ${from} → ${until ?? 'current'}`;
}

/** Labels of the recorded fields a plugin author cares about (others, like `source_file`, stay out of docs). */
const CHANGE_LABELS: Record<string, string> = {
  phases: 'Phases',
  phase_conditions: 'Phase conditions',
  returns: 'Returns',
  returns_nothing: 'Documented to return nothing',
  nil_err: 'Documented `(nil, err)`',
  never_returns: 'Never returns',
  subsystem: 'Subsystem',
  'msgpack.callable': 'Callable over MsgPack',
  'msgpack.step': 'Step method',
  'msgpack.result_fix': 'Result fix',
  'msgpack.exposed_api': 'exposed_api',
  'msgpack.log_phase_saved': 'Log phase answered from saved data',
  'msgpack.effects': 'Effects',
};

function changeValueText(field: string, value: unknown): string {
  if (value === undefined || value === null)
    return field.endsWith('.callable')
      ? 'yes'
      : /^(nil_err|never_returns|returns_nothing|msgpack\.log_phase_saved)$|\.optional$/.test(field)
        ? 'no'
        : field.endsWith('.documented')
          ? 'yes'
          : 'none';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (Array.isArray(value)) {
    if (value.length === 0) return 'none';
    return value
      .map((v) =>
        typeof v === 'object' && v
          ? `${(v as { type: string }).type}${(v as { error?: boolean }).error ? ' (err)' : ''}`
          : String(v),
      )
      .join(', ');
  }
  if (typeof value === 'object')
    return Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${k}: ${String(v)}`)
      .join('; ');
  return String(value);
}

/** One short doc line per recorded older value (and per parameter Kong no longer takes). */
export function historyLines(idl: IdlModel, f: PdkFunctionModel): string[] {
  const out: string[] = [];
  const after = (label: string): string | undefined => idl.kong.tracked[idl.kong.tracked.indexOf(label) + 1];
  for (const c of f.changes) {
    const when = c.since ? `in Kong ${c.since} → ${c.until}` : `up to Kong ${c.until}`;
    const next = after(c.until);
    if (c.field === 'msgpack.result_fix' && f.resultFix === 'raw_bytes' && c.value === undefined && !c.since && next) {
      out.push(`Raw bytes from Kong ${next} (a string up to ${c.until}).`);
      continue;
    }
    const param = /^params\.(.+)\.(type|optional|documented)$/.exec(c.field);
    let label = CHANGE_LABELS[c.field];
    if (param) {
      const p = f.params.find((q) => q.lua === param[1]);
      label = `Parameter \`${p?.ts ?? param[1]}\` ${param[2] === 'type' ? 'type' : param[2]}`;
    }
    if (!label) continue;
    out.push(`${label} ${when}: ${changeValueText(c.field, c.value)}.`);
  }
  for (const p of f.removedParams) {
    out.push(
      `Parameter \`${p.lua}\` (${p.typeText}) ${p.since ? `Kong ${p.since} → ${p.until}` : `up to Kong ${p.until}`}; no longer taken.`,
    );
  }
  return out;
}

function resultTs(f: PdkFunctionModel): string {
  if (f.neverReturns) return 'void';
  const ts = toTs(f.result, 'result');
  return ts === 'undefined' ? 'void' : ts;
}

/** The parameters the client offers (an optional one MsgPack cannot carry is left out). */
function clientParams(f: PdkFunctionModel): PdkFunctionModel['params'] {
  return f.params.filter((p) => p.sendable);
}

function paramList(f: PdkFunctionModel): string {
  return clientParams(f)
    .map((p) =>
      p.vararg
        ? `...${p.ts}: ${p.type.kind === 'builtin' && p.type.name === 'any' ? 'unknown' : toTs(p.type, 'param')}[]`
        : `${p.ts}${p.optional ? '?' : ''}: ${toTs(p.type, 'param')}`,
    )
    .join(', ');
}

function argsExpr(f: PdkFunctionModel): string {
  const params = clientParams(f);
  const vararg = params.find((p) => p.vararg);
  if (vararg) return vararg.ts;
  const items = params.map((p, i) => {
    if (p.nilFiller === undefined) return p.ts;
    // `== null`: JavaScript plugins pass null for "no body" as often as undefined.
    const later = params.slice(i + 1).map((q) => `${q.ts} != null`);
    return later.length ? `${p.ts} == null && (${later.join(' || ')}) ? ${lit(p.nilFiller)} : ${p.ts}` : p.ts;
  });
  return `[${items.join(', ')}]`;
}

function functionDoc(idl: IdlModel, f: PdkFunctionModel, indent: string, aliasOf?: string): string {
  const lines: string[] = [];
  if (aliasOf) {
    lines.push(
      `kong-js-pdk's spelling of \`${aliasOf}\` (its name rule cannot produce \`${f.camel}\`); kept so its plugins run unchanged.`,
      '',
      '@deprecated Use `' + f.camel + '`.',
    );
    return docComment(lines, indent);
  }
  lines.push(
    `\`${f.name}\`${f.source ? ` — ${f.source}` : ''}${f.kind === 'rpc_only' ? ' (exists only in the plugin-server API)' : ''}`,
  );
  lines.push('');
  lines.push(f.externalPhases ? `Phases: ${f.externalPhases.join(', ')}.` : 'Phases: not documented by Kong.');
  for (const [phase, cond] of Object.entries(f.phaseConditions)) lines.push(`In ${phase}: ${cond}.`);
  lines.push(`${versionRange(idl, f.since, f.until)}.${f.subsystem ? ` ${f.subsystem} subsystem only.` : ''}`);
  lines.push(...historyLines(idl, f));
  const notes: string[] = [];
  if (f.neverReturns)
    notes.push(
      'Ends the request: Kong never answers this call, the event ends with it, and later PDK calls of the handler resolve without being sent.',
    );
  if (f.step !== 'plugin.Step') notes.push(`Kong answers with \`${f.step}\`.`);
  if (f.resultFix === 'raw_bytes')
    notes.push('Resolves a Buffer with the exact bytes (Kong 2.x sends them as a string, 3.x as binary).');
  if (f.resultFix === 'multimap') notes.push("Every value is a list (Kong's multimap fix); an empty result is `{}`.");
  if (f.logPhaseSaved) notes.push('In the log phase Kong answers from request data saved when the request finished.');
  for (const e of f.effects) notes.push(e.charAt(0).toUpperCase() + e.slice(1) + '.');
  for (const l of f.limitations) notes.push(`Limitation: ${l}.`);
  if (f.nilErr)
    notes.push(
      "Kong returns `(nil, err)` on failure: Kong 3.x drops the error, so the call resolves `undefined`; Kong 2.x rejects with Kong's message.",
    );
  const dropped = f.returns.length - 1;
  if (dropped > 0 && !f.nilErr)
    notes.push(`Only the first of Kong's ${f.returns.length} return values crosses the RPC.`);
  for (const o of f.overrides) if (o.kind === 'repair') notes.push(`Repaired from Kong's docs: ${o.why}`);
  for (const d of f.defects) notes.push(`Kong doc defect: ${d}.`);
  if (notes.length) {
    lines.push('');
    for (const n of notes) lines.push(`- ${n}`);
  }
  const params = f.params.filter((p) => !p.vararg || p.lua === '...');
  if (params.length) lines.push('');
  for (const p of params) {
    const extra = [p.typeText];
    if (!p.documented) extra.push('not documented by Kong; read from the code');
    if (p.since) extra.push(`Kong ${p.since} or later`);
    if (p.nilFiller !== undefined)
      extra.push(`sent as ${JSON.stringify(p.nilFiller)} when omitted before a later argument`);
    if (!p.sendable) {
      lines.push(`Kong's optional parameter \`${p.lua}\` (${p.typeText}) cannot cross MsgPack and is left out.`);
      continue;
    }
    lines.push(`@param ${p.ts} ${p.vararg ? 'values, ' : ''}${extra.join('; ')}`);
  }
  return docComment(lines, indent);
}

interface ModuleNode {
  path: string;
  typeName: string;
  callable?: PdkFunctionModel;
  methods: PdkFunctionModel[];
  children: string[];
}

function buildModules(functions: readonly PdkFunctionModel[]): Map<string, ModuleNode> {
  const modules = new Map<string, ModuleNode>();
  const ensure = (p: string): ModuleNode => {
    let m = modules.get(p);
    if (!m) {
      m = {
        path: p,
        typeName: p === 'kong' ? 'Kong' : `Pdk${modulePathToTypeName(p.slice('kong.'.length))}`,
        methods: [],
        children: [],
      };
      modules.set(p, m);
      if (p !== 'kong') {
        const parent = ensure(p.slice(0, p.lastIndexOf('.')));
        parent.children.push(p);
      }
    }
    return m;
  };
  ensure('kong');
  for (const f of functions) {
    ensure(f.module).methods.push(f);
  }
  // A function whose full name is a module (kong.log) makes that module callable.
  for (const f of functions) {
    const m = modules.get(f.name);
    if (m) {
      m.callable = f;
      const parent = modules.get(f.module)!;
      parent.methods = parent.methods.filter((x) => x !== f);
    }
  }
  for (const m of modules.values()) m.children.sort();
  return modules;
}

/** `generated/pdk.ts`. */
export function emitPdkClient(idl: IdlModel): string {
  const usable = idl.functions.filter((f) => f.usable);
  const modules = buildModules(usable);
  const lastSegment = (p: string): string => p.slice(p.lastIndexOf('.') + 1);

  const entityRefs = new Set<string>();
  for (const f of usable) {
    for (const t of [f.result, ...f.params.map((p) => p.type)]) for (const r of referencedNames(t)) entityRefs.add(r);
  }
  // The builtin `table` is written as the KongTable entity.
  const mentionsTable = (t: TypeExpr): boolean => {
    switch (t.kind) {
      case 'builtin':
        return t.name === 'table';
      case 'union':
        return t.members.some(mentionsTable);
      case 'array':
        return mentionsTable(t.element);
      case 'map':
        return mentionsTable(t.key) || mentionsTable(t.value);
      default:
        return false;
    }
  };
  if (usable.some((f) => [f.result, ...f.params.map((p) => p.type)].some(mentionsTable))) entityRefs.add('KongTable');

  const sortedModules = [...modules.values()].sort((a, b) => a.path.localeCompare(b.path));

  const interfaces = sortedModules.map((m) => {
    const methods = [...m.methods]
      .sort((a, b) => a.fn.localeCompare(b.fn))
      .flatMap((f) => {
        // `new(...)` in an interface would declare a construct signature: quote such names.
        const base = {
          name: /^(new|constructor)$/.test(f.camel) ? lit(f.camel) : f.camel,
          params: paramList(f),
          result: resultTs(f),
          doc: functionDoc(idl, f, '  '),
        };
        return f.kongJsPdkAlias
          ? [base, { ...base, name: f.kongJsPdkAlias, doc: functionDoc(idl, f, '  ', f.camel) }]
          : [base];
      });
    return {
      name: m.typeName,
      doc: docComment([
        m.path === 'kong'
          ? 'The `kong` object a phase handler receives: every PDK function an external plugin can call.'
          : `\`${m.path}\`${m.callable ? ' (also callable)' : ''}.`,
      ]),
      callable: m.callable
        ? { doc: functionDoc(idl, m.callable, '  '), params: paramList(m.callable), result: resultTs(m.callable) }
        : undefined,
      children: m.children.map((c) => ({ path: c, prop: lastSegment(c), type: modules.get(c)!.typeName })),
      methods,
    };
  });

  // A callable module is a function object, not a PdkModuleBase: only its submodules need the
  // unknown-name handler.
  const needsHandler = (m: ModuleNode): boolean => !m.callable || m.children.some((c) => needsHandler(modules.get(c)!));
  const createExpr = (child: ModuleNode, self: string): string =>
    child.callable
      ? `create${child.typeName}(${self}t${needsHandler(child) ? `, ${self}u` : ''})`
      : `new ${child.typeName}Impl(${self}t, ${self}u)`;

  const implMethods = (m: ModuleNode) =>
    [...m.methods]
      .sort((a, b) => a.fn.localeCompare(b.fn))
      .flatMap((f) => {
        const base = {
          name: f.camel,
          params: paramList(f),
          result: resultTs(f),
          wire: lit(f.name),
          args: argsExpr(f),
          flags: callFlags(f),
        };
        return f.kongJsPdkAlias ? [base, { ...base, name: f.kongJsPdkAlias }] : [base];
      });

  const classes = sortedModules
    .filter((m) => !m.callable)
    .map((m) => ({
      name: m.typeName,
      path: lit(m.path),
      children: m.children.map((c) => ({
        prop: lastSegment(c),
        type: modules.get(c)!.typeName,
        create: createExpr(modules.get(c)!, 'this.'),
      })),
      methods: implMethods(m),
    }));

  const factories = sortedModules
    .filter((m) => m.callable)
    .map((m) => ({
      name: m.typeName,
      takesHandler: needsHandler(m),
      callable: {
        params: paramList(m.callable!),
        result: resultTs(m.callable!),
        wire: lit(m.callable!.name),
        args: argsExpr(m.callable!),
        flags: callFlags(m.callable!),
      },
      methods: implMethods(m),
      children: m.children.map((c) => ({
        prop: lastSegment(c),
        propLit: lit(lastSegment(c)),
        type: modules.get(c)!.typeName,
        create: createExpr(modules.get(c)!, ''),
      })),
    }));

  const sortedUsable = [...usable].sort((a, b) => a.name.localeCompare(b.name));
  const camelName = (f: PdkFunctionModel, camel: string): string =>
    modules.has(f.name) ? f.name : `${f.module}.${camel}`;
  const infos = sortedUsable.map((f) => ({
    name: lit(f.name),
    camel: lit(camelName(f, f.camel)),
    flags: callFlags(f),
    step: lit(f.step),
    phases: f.externalPhases ? `[${f.externalPhases.map(lit).join(', ')}]` : 'undefined',
    since: f.since ? lit(f.since) : 'undefined',
    until: f.until ? lit(f.until) : 'undefined',
    logTimer: f.logTimer
      ? `{ ${[
          `kind: ${lit(f.logTimer.kind)}`,
          ...(f.logTimer.savedSince ? [`savedSince: ${lit(f.logTimer.savedSince)}`] : []),
          ...(f.logTimer.before ? [`before: ${lit(f.logTimer.before)}`] : []),
        ].join(', ')} }`
      : 'undefined',
  }));
  const camelPairs = sortedUsable.flatMap((f) => {
    const pairs = [{ camel: lit(camelName(f, f.camel)), kong: lit(f.name) }];
    if (f.kongJsPdkAlias) pairs.push({ camel: lit(`${f.module}.${f.kongJsPdkAlias}`), kong: lit(f.name) });
    return pairs;
  });

  return render('pdk-client', {
    header: header([idl.files.pdk, ...(idl.files.overrides ? [idl.files.overrides] : []), idl.files.entities]),
    entityImports: [...entityRefs].sort().join(', '),
    phases: idl.phases.map(lit).join(', '),
    exitPhases: idl.exitPhases.map(lit).join(', '),
    refusedPhases: idl.refusedPhases.map((p) => `[${lit(p.name)}, ${lit(p.why)}]`).join(', '),
    phaseNames: idl.phases,
    flags: PDK_CALL_FLAGS.map((f) => ({ name: f.name, bit: f.bit, doc: f.doc })),
    logTimerNgxCtxSince: idl.logTimerNgxCtxSince ? lit(idl.logTimerNgxCtxSince) : 'undefined',
    oldest: idl.kong.tracked[0],
    interfaces,
    classes,
    factories,
    infos,
    camelPairs,
  });
}
