/**
 * Reads the IDL directory, validates every file against its JSON Schema (ajv), checks what a
 * schema cannot (type references, unique names, override targets), and resolves the model.
 * Every problem is an {@link IdlError} naming the file, the path inside it and the line.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv, { type ErrorObject } from 'ajv';
import { LineCounter, parseDocument, isNode, type Document } from 'yaml';
import { IdlError } from './errors.js';
import {
  type FieldModel,
  type IdlModel,
  type LogTimerKind,
  type LogTimerModel,
  type NamedTypeModel,
  type PdkFunctionModel,
  type PdkParamModel,
  type PdkRemovedParamModel,
  type PdkReturnModel,
  type RpcErrorKind,
  type RpcErrorModel,
  type RpcMethodModel,
} from './model.js';
import { kongJsPdkAlias, paramName, snakeToCamel } from './names.js';
import type { PdkFile, PdkFunction, PdkReturn } from './pdk-file.js';
import { entitiesSchema, overridesSchema, pdkSchema, rpcSchema } from './schemas.js';
import {
  formatTypeExpr,
  mentionsUnsendable,
  parseTypeExpr,
  referencedNames,
  TypeSyntaxError,
  type TypeExpr,
} from './type-expr.js';

type Path = (string | number)[];

/** A parsed YAML file that can locate a path in its source. */
class SourceFile {
  readonly data: unknown;
  private readonly doc: Document;
  private readonly lines: LineCounter;

  constructor(
    readonly display: string,
    text: string,
  ) {
    this.lines = new LineCounter();
    this.doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: false, uniqueKeys: true });
    const first = this.doc.errors[0];
    if (first) {
      const pos = this.lines.linePos(first.pos[0]);
      throw new IdlError(display, [], `YAML: ${first.message.split('\n')[0]}`, pos.line, pos.col);
    }
    this.data = this.doc.toJS({ maxAliasCount: 100 });
  }

  /** An error at `at`, with the line of the deepest node of that path that exists. */
  error(at: Path, reason: string): IdlError {
    for (let n = at.length; n >= 0; n--) {
      const node = n === 0 ? this.doc.contents : this.doc.getIn(at.slice(0, n), true);
      if (isNode(node) && node.range) {
        const pos = this.lines.linePos(node.range[0]);
        return new IdlError(this.display, at, reason, pos.line, pos.col);
      }
    }
    return new IdlError(this.display, at, reason);
  }
}

const ajv = new Ajv({ allErrors: false, strict: true, strictRequired: false, allowUnionTypes: true });
const validators = {
  rpc: ajv.compile(rpcSchema),
  entities: ajv.compile(entitiesSchema),
  pdk: ajv.compile(pdkSchema),
  overrides: ajv.compile(overridesSchema),
};

function schemaError(file: SourceFile, err: ErrorObject): IdlError {
  const at: Path = err.instancePath
    .split('/')
    .slice(1)
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s.replace(/~1/g, '/').replace(/~0/g, '~')));
  let reason = err.message ?? 'invalid';
  if (err.keyword === 'additionalProperties') {
    reason = `unknown key '${String((err.params as { additionalProperty: string }).additionalProperty)}'`;
  } else if (err.keyword === 'enum') {
    reason = `must be one of ${JSON.stringify((err.params as { allowedValues: unknown[] }).allowedValues)}`;
  } else if (err.keyword === 'const') {
    reason = `must be ${JSON.stringify((err.params as { allowedValue: unknown }).allowedValue)}`;
  }
  return file.error(at, reason);
}

function readValidated<T>(dir: string, base: string, name: keyof typeof validators, required: boolean): { file: SourceFile; data: T } | undefined {
  const full = path.join(dir, name === 'overrides' ? 'pdk-overrides.yaml' : `${name}.yaml`);
  const display = path.join(base, path.basename(full));
  if (!fs.existsSync(full)) {
    if (!required) return undefined;
    throw new IdlError(display, [], 'file not found');
  }
  const file = new SourceFile(display, fs.readFileSync(full, 'utf8'));
  const validate = validators[name];
  if (!validate(file.data)) throw schemaError(file, validate.errors![0]!);
  return { file, data: file.data as T };
}

// Raw shapes as the schemas admit them.
interface RawField { name: string; type: string; optional?: boolean; doc?: string }
interface RawNamedType { name: string; doc?: string; alias?: string; open?: boolean; fields?: RawField[] }
interface RawRpc {
  namespace: string;
  protocol: string;
  phases: string[];
  exit_phases: string[];
  refused_phases: { name: string; why: string }[];
  contract_phrase: { text: string; replacement: string };
  fail_closed: { status: number; message: string };
  log_timer?: { ngx_ctx_since: string; ngx_ctx: string[]; raises: string[] };
  errors: { name: string; text: string; kind?: RpcErrorKind; contract?: boolean; doc: string }[];
  types: RawNamedType[];
  methods: { name: string; param: RawField; result: string; handler?: string; doc: string }[];
}
interface RawEntities { types: RawNamedType[] }
interface RawOverride {
  function: string;
  kind: 'repair' | 'refine';
  why: string;
  returns?: PdkReturn[];
  nil_err?: boolean;
  params?: Record<string, { type?: string; optional?: boolean; nil_filler?: string; doc?: string }>;
}
interface RawOverrides { overrides: RawOverride[] }

/** Parses a type expression found at `at` in `file`, or throws an IdlError there. */
function typeAt(file: SourceFile, at: Path, text: string): TypeExpr {
  try {
    return parseTypeExpr(text);
  } catch (e) {
    if (e instanceof TypeSyntaxError) throw file.error(at, `type '${text}': ${e.message} (column ${e.column + 1})`);
    throw e;
  }
}

/** Loads and resolves the IDL in `dir`; `displayBase` prefixes file names in errors and headers. */
export function loadIdl(dir: string, displayBase = path.basename(dir)): IdlModel {
  const rpc = readValidated<RawRpc>(dir, displayBase, 'rpc', true)!;
  const entities = readValidated<RawEntities>(dir, displayBase, 'entities', true)!;
  const pdk = readValidated<PdkFile>(dir, displayBase, 'pdk', true)!;
  const overrides = readValidated<RawOverrides>(dir, displayBase, 'overrides', false);

  const checks: (() => void)[] = [];
  const typeNames = new Set<string>();
  const requireRefs = (file: SourceFile, at: Path, t: TypeExpr): void => {
    checks.push(() => {
      for (const ref of referencedNames(t)) {
        if (!typeNames.has(ref)) throw file.error(at, `unknown type '${ref}'`);
      }
    });
  };
  const field = (file: SourceFile, at: Path, f: RawField): FieldModel => {
    const type = typeAt(file, [...at, 'type'], f.type);
    requireRefs(file, [...at, 'type'], type);
    return { name: f.name, type, typeText: formatTypeExpr(type), optional: f.optional ?? false, ...(f.doc ? { doc: f.doc } : {}) };
  };

  const types: NamedTypeModel[] = [];
  const addTypes = (src: { file: SourceFile }, list: RawNamedType[], origin: 'entities' | 'rpc'): void => {
    list.forEach((t, i) => {
      const at: Path = ['types', i];
      if (typeNames.has(t.name)) throw src.file.error([...at, 'name'], `type '${t.name}' is declared twice`);
      typeNames.add(t.name);
      const model: NamedTypeModel = { name: t.name, origin, open: t.open ?? false, ...(t.doc ? { doc: t.doc } : {}) };
      if (t.alias !== undefined) {
        model.alias = typeAt(src.file, [...at, 'alias'], t.alias);
        model.aliasText = formatTypeExpr(model.alias);
        requireRefs(src.file, [...at, 'alias'], model.alias);
      } else {
        const seen = new Set<string>();
        model.fields = (t.fields ?? []).map((f, j) => {
          if (seen.has(f.name)) throw src.file.error([...at, 'fields', j, 'name'], `field '${f.name}' appears twice`);
          seen.add(f.name);
          return field(src.file, [...at, 'fields', j], f);
        });
      }
      types.push(model);
    });
  };
  addTypes(entities, entities.data.types, 'entities');
  addTypes(rpc, rpc.data.types, 'rpc');

  rpc.data.exit_phases.forEach((p, i) => {
    if (!rpc.data.phases.includes(p)) throw rpc.file.error(['exit_phases', i], `exit phase '${p}' is not in phases`);
  });
  rpc.data.refused_phases.forEach((p, i) => {
    if (rpc.data.phases.includes(p.name)) throw rpc.file.error(['refused_phases', i, 'name'], `refused phase '${p.name}' is also in phases`);
  });
  const phrase = rpc.data.contract_phrase.text.toLowerCase();
  if (rpc.data.contract_phrase.replacement.toLowerCase().includes(phrase)) {
    throw rpc.file.error(['contract_phrase', 'replacement'], 'the replacement must not contain the contract phrase');
  }
  const errorNames = new Set<string>();
  const errors: RpcErrorModel[] = rpc.data.errors.map((e, i) => {
    if (errorNames.has(e.name)) throw rpc.file.error(['errors', i, 'name'], `error '${e.name}' is declared twice`);
    errorNames.add(e.name);
    if ((e.contract ?? false) !== e.text.toLowerCase().includes(phrase)) {
      throw rpc.file.error(
        ['errors', i, 'text'],
        e.contract
          ? `the contract error must contain "${rpc.data.contract_phrase.text}"`
          : `only the contract error may contain "${rpc.data.contract_phrase.text}" (Kong resets instances on it)`,
      );
    }
    return {
      name: e.name,
      text: e.text,
      kind: e.kind ?? 'reply',
      placeholders: [...e.text.matchAll(/\{([a-z]+)\}/g)].map((m) => m[1]!),
      contract: e.contract ?? false,
      doc: e.doc,
    };
  });

  const methodNames = new Set<string>();
  const methods: RpcMethodModel[] = rpc.data.methods.map((m, i) => {
    if (methodNames.has(m.name)) throw rpc.file.error(['methods', i, 'name'], `method '${m.name}' is declared twice`);
    methodNames.add(m.name);
    const result = typeAt(rpc.file, ['methods', i, 'result'], m.result);
    requireRefs(rpc.file, ['methods', i, 'result'], result);
    return {
      name: m.name,
      wireName: `${rpc.data.namespace}.${m.name}`,
      param: field(rpc.file, ['methods', i, 'param'], m.param),
      result,
      resultText: formatTypeExpr(result),
      handler: m.handler ?? m.name,
      doc: m.doc,
    };
  });
  methods.forEach((m, i) => {
    const target = methods.find((x) => x.name === m.handler);
    if (!target) throw rpc.file.error(['methods', i, 'handler'], `handler '${m.handler}' is not a method`);
    if (target.param.typeText !== m.param.typeText || target.resultText !== m.resultText) {
      throw rpc.file.error(['methods', i, 'handler'], `shares handler '${m.handler}' but its param or result type differs`);
    }
  });

  // Overrides, indexed by function.
  const overrideByFn = new Map<string, { o: RawOverride; index: number }[]>();
  overrides?.data.overrides.forEach((o, index) => {
    const list = overrideByFn.get(o.function) ?? [];
    list.push({ o, index });
    overrideByFn.set(o.function, list);
  });

  const fnNames = new Set<string>();
  const functions: PdkFunctionModel[] = pdk.data.functions.map((raw, i) => {
    const at: Path = ['functions', i];
    if (fnNames.has(raw.name)) throw pdk.file.error([...at, 'name'], `function '${raw.name}' is declared twice`);
    fnNames.add(raw.name);
    return resolveFunction(raw, at, pdk.file, overrides?.file, overrideByFn.get(raw.name) ?? [], requireRefs, rpc.data.phases);
  });
  overrides?.data.overrides.forEach((o, index) => {
    if (!fnNames.has(o.function)) throw overrides.file.error(['overrides', index, 'function'], `no function '${o.function}' in pdk.yaml`);
  });

  for (const check of checks) check();

  if (rpc.data.log_timer) applyLogTimer(rpc.data.log_timer, functions, pdk.data.kong.tracked);

  return {
    files: {
      rpc: path.join(displayBase, 'rpc.yaml'),
      entities: path.join(displayBase, 'entities.yaml'),
      pdk: path.join(displayBase, 'pdk.yaml'),
      ...(overrides ? { overrides: path.join(displayBase, 'pdk-overrides.yaml') } : {}),
    },
    namespace: rpc.data.namespace,
    protocol: rpc.data.protocol,
    phases: rpc.data.phases,
    exitPhases: rpc.data.exit_phases,
    refusedPhases: rpc.data.refused_phases.map((p) => ({ name: p.name, why: p.why })),
    contractPhrase: { ...rpc.data.contract_phrase },
    failClosed: { ...rpc.data.fail_closed },
    ...(rpc.data.log_timer ? { logTimerNgxCtxSince: rpc.data.log_timer.ngx_ctx_since } : {}),
    kong: pdk.data.kong,
    types,
    errors,
    methods,
    functions,
  };
}

/**
 * Sets each log-phase function's timer behaviour from rpc.yaml `log_timer` and pdk.yaml's
 * `log_phase_saved` (with its history: a function saved only from some release behaves by the
 * lists before it).
 */
function applyLogTimer(
  table: { ngx_ctx: string[]; raises: string[] },
  functions: PdkFunctionModel[],
  tracked: readonly string[],
): void {
  const covers = (entry: string, name: string): boolean => name === entry || name.startsWith(`${entry}.`);
  // An entry naming no function of this pdk.yaml is allowed (a smaller pdk.yaml, or a function
  // Kong dropped); test/codegen checks the committed IDL has none.
  const byLists = (name: string): Exclude<LogTimerKind, 'saved'> =>
    table.ngx_ctx.includes(name) ? 'ngx_ctx' : table.raises.some((e) => covers(e, name)) ? 'raises' : 'works';
  for (const f of functions) {
    if (f.externalPhases && !f.externalPhases.includes('log')) continue;
    let timer: LogTimerModel = { kind: byLists(f.name) };
    if (f.logPhaseSaved) {
      timer = { kind: 'saved' };
      // `{field: msgpack.log_phase_saved, until: X}` without a value: not saved up to X.
      const unsaved = f.changes.find((c) => c.field === 'msgpack.log_phase_saved' && !c.value);
      const next = unsaved ? tracked[tracked.indexOf(unsaved.until) + 1] : undefined;
      if (next) timer = { kind: 'saved', savedSince: next, before: byLists(f.name) };
    }
    f.logTimer = timer;
  }
}

function resolveFunction(
  raw: PdkFunction,
  at: Path,
  file: SourceFile,
  overridesFile: SourceFile | undefined,
  applied: { o: RawOverride; index: number }[],
  requireRefs: (file: SourceFile, at: Path, t: TypeExpr) => void,
  pluginPhases: readonly string[],
): PdkFunctionModel {
  const dot = raw.name.lastIndexOf('.');
  const module = raw.name.slice(0, dot);
  const fn = raw.name.slice(dot + 1);
  const defects: string[] = [];

  const removedParams: PdkRemovedParamModel[] = raw.params
    .filter((p) => p.until)
    .map((p) => ({ lua: p.name, typeText: p.type, ...(p.since ? { since: p.since } : {}), until: p.until! }));
  // A parameter with until is gone from the newest release: the client does not offer it.
  const params: PdkParamModel[] = raw.params.flatMap((p, j) => {
    if (p.until) return [];
    const type = typeAt(file, [...at, 'params', j, 'type'], p.type);
    requireRefs(file, [...at, 'params', j, 'type'], type);
    if (p.documented === false) defects.push(`parameter '${p.name}' exists in the code but has no @tparam`);
    const vararg = p.vararg ?? p.name === '...';
    return {
      lua: p.name,
      ts: vararg ? 'args' : paramName(p.name),
      type,
      typeText: formatTypeExpr(type),
      optional: vararg || (p.optional ?? false),
      vararg,
      documented: p.documented ?? true,
      sendable: true,
      ...(p.since ? { since: p.since } : {}),
    } satisfies PdkParamModel;
  });
  let returns: PdkReturnModel[] = raw.returns.map((r, j) => {
    const type = typeAt(file, [...at, 'returns', j, 'type'], r.type);
    requireRefs(file, [...at, 'returns', j, 'type'], type);
    return { type, typeText: formatTypeExpr(type), error: r.error ?? false };
  });
  let nilErr = raw.nil_err ?? false;
  if (raw.doc_block_not_ldoc) defects.push('doc comment does not start with "---", so ldoc skips it');
  if (raw.code_returns_nil_err && !nilErr) defects.push('the code returns (nil, err) but the docs do not say so');
  for (const m of raw.param_name_mismatch ?? []) defects.push(`documented parameter '${m.doc}' is '${m.code}' in the code`);

  const appliedOverrides = applied.map(({ o, index }) => {
    const oat: Path = ['overrides', index];
    const ofile = overridesFile!;
    if (o.returns) {
      returns = o.returns.map((r, j) => {
        const type = typeAt(ofile, [...oat, 'returns', j, 'type'], r.type);
        requireRefs(ofile, [...oat, 'returns', j, 'type'], type);
        return { type, typeText: formatTypeExpr(type), error: r.error ?? false };
      });
    }
    if (o.nil_err !== undefined) nilErr = o.nil_err;
    for (const [pname, patch] of Object.entries(o.params ?? {})) {
      const target = params.find((p) => p.lua === pname);
      if (!target) throw ofile.error([...oat, 'params', pname], `function ${raw.name} has no parameter '${pname}'`);
      if (patch.type !== undefined) {
        target.type = typeAt(ofile, [...oat, 'params', pname, 'type'], patch.type);
        target.typeText = formatTypeExpr(target.type);
        requireRefs(ofile, [...oat, 'params', pname, 'type'], target.type);
      }
      if (patch.optional !== undefined) target.optional = patch.optional;
      if (patch.nil_filler !== undefined) target.nilFiller = patch.nil_filler;
    }
    return { kind: o.kind, why: o.why };
  });

  // A required parameter after an optional one would put a nil between arguments.
  let sawOptional = false;
  params.forEach((p, j) => {
    if (p.optional) sawOptional = true;
    else if (sawOptional) throw file.error([...at, 'params', j], `required parameter '${p.lua}' follows an optional one`);
  });

  const first = returns[0];
  const nil: TypeExpr = { kind: 'builtin', name: 'nil' };
  let result: TypeExpr = first ? first.type : nil;
  // A failed (nil, err) call arrives as a Step without Data on Kong ≥ 3.0: the result can be nil.
  if (nilErr && first && !(result.kind === 'union' && result.members.some((m) => m.kind === 'builtin' && m.name === 'nil'))) {
    result = { kind: 'union', members: [result, nil] };
  }

  const phases = raw.phases;
  const externalPhases = phases === undefined ? undefined : phases.includes('any') ? [...pluginPhases] : pluginPhases.filter((p) => phases.includes(p));

  const unusableReasons: string[] = [];
  if (raw.msgpack.callable === false) unusableReasons.push(...(raw.msgpack.problems ?? ['not callable over MsgPack']));
  for (const p of params) {
    const bad = mentionsUnsendable(p.type);
    if (!bad) continue;
    // An optional one can simply be left out; a required one makes the function unusable.
    if (p.optional) p.sendable = false;
    else if (raw.msgpack.callable !== false) unusableReasons.push(`param ${p.lua} is ${bad}`);
  }
  if (externalPhases && externalPhases.length === 0) {
    unusableReasons.push(`runs only in ${phases!.join(', ')}, where an external plugin has no handler`);
  }

  return {
    name: raw.name,
    module,
    fn,
    camel: snakeToCamel(fn),
    ...(kongJsPdkAlias(fn) ? { kongJsPdkAlias: kongJsPdkAlias(fn)! } : {}),
    kind: raw.kind ?? 'pdk',
    ...(raw.source ? { source: raw.source } : {}),
    ...(raw.since ? { since: raw.since } : {}),
    ...(raw.until ? { until: raw.until } : {}),
    ...(raw.subsystem ? { subsystem: raw.subsystem } : {}),
    params,
    returns,
    result,
    resultText: formatTypeExpr(result),
    nilErr,
    ...(phases ? { phases } : {}),
    phaseConditions: raw.phase_conditions ?? {},
    ...(externalPhases ? { externalPhases } : {}),
    neverReturns: raw.never_returns ?? false,
    step: raw.msgpack.step ?? 'plugin.Step',
    ...(raw.msgpack.result_fix ? { resultFix: raw.msgpack.result_fix } : {}),
    ...(raw.msgpack.exposed_api ? { exposedApi: raw.msgpack.exposed_api } : {}),
    logPhaseSaved: raw.msgpack.log_phase_saved ?? false,
    effects: raw.msgpack.effects ?? [],
    limitations: raw.msgpack.limitations ?? [],
    usable: unusableReasons.length === 0,
    unusableReasons,
    overrides: appliedOverrides,
    defects,
    ...(raw.protobuf ? { protobuf: raw.protobuf } : {}),
    removedParams,
    changes: (raw.changes ?? []).map((c) => ({ ...c })),
  };
}
