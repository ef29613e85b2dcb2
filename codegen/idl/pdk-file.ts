/**
 * The shapes of idl/pdk.yaml as its schema (schemas.ts `pdkSchema`) admits them: what the
 * extractor writes and what the loader reads. Key order is the order the YAML writer emits.
 */

/** One parameter, as in pdk.yaml. */
export interface PdkParam {
  name: string;
  vararg?: boolean;
  type: string;
  optional?: boolean;
  /** false: the code takes it but no @tparam documents it. */
  documented?: boolean;
  since?: string;
  /** Last tracked release whose function has it: a parameter gone from the newest one. */
  until?: string;
  doc?: string;
}

/** One return slot, as in pdk.yaml. */
export interface PdkReturn {
  type: string;
  error?: boolean;
}

/** How Kong's MsgPack RPC layer handles the function, as in pdk.yaml. */
export interface MsgpackInfo {
  callable?: boolean;
  step?: string;
  result_fix?: 'multimap' | 'raw_bytes';
  exposed_api?: 'override' | 'only';
  log_phase_saved?: boolean;
  effects?: string[];
  problems?: string[];
  limitations?: string[];
}

/** The ProtoBuf:1 rpc serving the function. */
export interface ProtobufInfo {
  rpc: string;
  input: string;
  output: string;
}

/** One function, as in pdk.yaml (key order = YAML order). */
export interface PdkFunction {
  name: string;
  kind?: 'pdk' | 'rpc_only';
  source?: string;
  since?: string;
  until?: string;
  subsystem?: 'http' | 'stream';
  colon_method?: boolean;
  doc_block_not_ldoc?: boolean;
  params: PdkParam[];
  returns: PdkReturn[];
  returns_nothing?: boolean;
  nil_err?: boolean;
  code_returns_nil_err?: boolean;
  phases?: string[];
  phase_conditions?: Record<string, string>;
  never_returns?: boolean;
  param_name_mismatch?: { doc: string; code: string }[];
  msgpack: MsgpackInfo;
  protobuf?: ProtobufInfo;
  /** Older values of fields that changed over the tracked releases, oldest first. */
  changes?: PdkChange[];
}

/**
 * A value a field held in older tracked releases: `field` is a pdk.yaml key path (`phases`,
 * `msgpack.result_fix`, `params.<name>.type`, …, or `source_file`); `since` absent = from
 * the function's first release; `value` absent = the field was absent (its default).
 */
export interface PdkChange {
  field: string;
  since?: string;
  until: string;
  value?: unknown;
}

/** A fact of Kong's RPC layer (not per function) over a run of tracked releases. */
export interface PdkRpcFact {
  fact: 'call_pdk_method_returns';
  value: string;
  since?: string;
  until?: string;
}

/** The whole of pdk.yaml. */
export interface PdkFile {
  format: 'kong-ts-pdk/pdk/1';
  kong: { version: string; commit?: string; tracked: string[]; rpc?: PdkRpcFact[] };
  functions: PdkFunction[];
}
