/**
 * The resolved IDL: what the emitters read. Built by `loadIdl` from the YAML files after
 * validation, with type expressions parsed and the PDK overrides applied.
 */
import type { TypeExpr } from './type-expr.js';

/** A field of a record type. */
export interface FieldModel {
  name: string;
  type: TypeExpr;
  typeText: string;
  optional: boolean;
  doc?: string;
}

/** A named type from entities.yaml or rpc.yaml: a record or an alias. */
export interface NamedTypeModel {
  name: string;
  origin: 'entities' | 'rpc';
  doc?: string;
  alias?: TypeExpr;
  aliasText?: string;
  fields?: FieldModel[];
  open: boolean;
}

/**
 * Where an error text goes: a whole reply error (`reply`), the answer to a message that is not
 * a valid request (`envelope`), one reason Kong 3.x would refuse a plugin (`refusal`, joined
 * into PluginRefused), a part of another text (`reason`), or why an instance fails closed
 * (`instance`: logged and reported, never a reply).
 */
export type RpcErrorKind = 'reply' | 'envelope' | 'refusal' | 'reason' | 'instance';

/** An error text of the RPC, with `{placeholders}`. */
export interface RpcErrorModel {
  name: string;
  text: string;
  kind: RpcErrorKind;
  placeholders: string[];
  contract: boolean;
  doc: string;
}

/** A phase a plugin may declare in Lua that a plugin server cannot serve. */
export interface RefusedPhaseModel {
  name: string;
  why: string;
}

/**
 * How a function behaves in the log phase's timer: answered from data Kong saved before the
 * timer (`saved`), read from ngx.ctx (`ngx_ctx`: empty before the release that restores it),
 * raising because it needs nginx's request API (`raises`), or unaffected (`works`).
 */
export type LogTimerKind = 'saved' | 'ngx_ctx' | 'raises' | 'works';

/** A function's log-timer behaviour. */
export interface LogTimerModel {
  kind: LogTimerKind;
  /** For `saved`: the first tracked release that saves it (absent: every tracked release). */
  savedSince?: string;
  /** For `saved` with `savedSince`: the behaviour before that release. */
  before?: Exclude<LogTimerKind, 'saved'>;
}

/** One `plugin.*` method. */
export interface RpcMethodModel {
  name: string;
  wireName: string;
  param: FieldModel;
  result: TypeExpr;
  resultText: string;
  /** The handler that serves it (Step variants share `Step`). */
  handler: string;
  doc: string;
}

/** A PDK parameter after overrides. */
export interface PdkParamModel {
  lua: string;
  ts: string;
  type: TypeExpr;
  typeText: string;
  optional: boolean;
  vararg: boolean;
  documented: boolean;
  since?: string;
  /** False for an optional parameter of a type MsgPack cannot carry: the client omits it. */
  sendable: boolean;
  /** Sent instead of nil when a later argument is set (a nil there would truncate Args). */
  nilFiller?: string;
}

/** One PDK return slot after overrides. */
export interface PdkReturnModel {
  type: TypeExpr;
  typeText: string;
  error: boolean;
}

/** A parameter the function had in older tracked releases and no longer takes (pdk.yaml `until`). */
export interface PdkRemovedParamModel {
  lua: string;
  typeText: string;
  since?: string;
  until: string;
}

/** An older value of a field that changed over the tracked releases (pdk.yaml `changes`). */
export interface PdkChangeModel {
  /** pdk.yaml key path: `phases`, `msgpack.result_fix`, `params.<name>.type`, `source_file`, … */
  field: string;
  /** Absent = from the function's (or parameter's) first tracked release. */
  since?: string;
  until: string;
  /** Absent = the field was absent (its default). */
  value?: unknown;
}

/** A repair or refinement applied from pdk-overrides.yaml. */
export interface AppliedOverride {
  kind: 'repair' | 'refine';
  why: string;
}

/** One PDK function after overrides. */
export interface PdkFunctionModel {
  name: string;
  module: string;
  fn: string;
  camel: string;
  kongJsPdkAlias?: string;
  kind: 'pdk' | 'rpc_only';
  source?: string;
  since?: string;
  until?: string;
  subsystem?: string;
  params: PdkParamModel[];
  returns: PdkReturnModel[];
  /** What crosses MsgPack: the first return value only (Kong ≥ 3.0 keeps only that one). */
  result: TypeExpr;
  resultText: string;
  nilErr: boolean;
  phases?: string[];
  phaseConditions: Record<string, string>;
  externalPhases?: string[];
  neverReturns: boolean;
  step: string;
  resultFix?: 'multimap' | 'raw_bytes';
  exposedApi?: 'override' | 'only';
  logPhaseSaved: boolean;
  /** Behaviour in the log phase's timer; absent when the function cannot run in log. */
  logTimer?: LogTimerModel;
  effects: string[];
  limitations: string[];
  /** Callable over MsgPack and in at least one phase an external plugin serves. */
  usable: boolean;
  unusableReasons: string[];
  overrides: AppliedOverride[];
  /** Doc defects the extraction met (repaired from the code or by an override). */
  defects: string[];
  protobuf?: { rpc: string; input: string; output: string };
  /** Parameters gone from the newest release (not in `params`: the client never sends them). */
  removedParams: PdkRemovedParamModel[];
  /** Older values of the fields that changed, oldest first. */
  changes: PdkChangeModel[];
}

/** The whole IDL. */
export interface IdlModel {
  /** File names relative to the IDL directory's parent, for headers. */
  files: { rpc: string; entities: string; pdk: string; overrides?: string };
  namespace: string;
  /** The protocol string of a dump (rpc.yaml `protocol`). */
  protocol: string;
  /** The phases an external plugin can implement (rpc.yaml `phases`). */
  phases: string[];
  /** The phases in which a handler can end the request (rpc.yaml `exit_phases`). */
  exitPhases: string[];
  /** Phases Kong 3.x refuses in a plugin server's plugin, with the reason. */
  refusedPhases: RefusedPhaseModel[];
  /** The phrase Kong resets instances on, and what any other text says instead. */
  contractPhrase: { text: string; replacement: string };
  /** What a broken instance answers in an exit phase. */
  failClosed: { status: number; message: string };
  /** The release from which Kong's log timer sees the request's ngx.ctx (absent: not described). */
  logTimerNgxCtxSince?: string;
  kong: {
    version: string;
    commit?: string;
    tracked: string[];
    /** Facts of Kong's RPC layer per release range (call_pdk_method's return handling). */
    rpc?: { fact: string; value: string; since?: string; until?: string }[];
  };
  types: NamedTypeModel[];
  errors: RpcErrorModel[];
  methods: RpcMethodModel[];
  functions: PdkFunctionModel[];
}
