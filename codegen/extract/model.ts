/**
 * What the extractor produces: `PdkFunction` has exactly the keys of one entry of
 * idl/pdk.yaml (schema: codegen/idl/schemas.ts `pdkSchema`), in the order the YAML writer emits
 * them; `TreeExtraction` is one Kong tree read; `Defect` is one doc defect met on the way.
 */

export type {
  MsgpackInfo,
  PdkChange,
  PdkFile,
  PdkFunction,
  PdkParam,
  PdkReturn,
  PdkRpcFact,
  ProtobufInfo,
} from '../idl/pdk-file.js';
import type { PdkFunction } from '../idl/pdk-file.js';

/** The kinds of doc defect the extractor detects (idl/extract-rules.yaml names them the same way). */
export type DefectKind =
  | 'missing_tparam'
  | 'malformed_tag'
  | 'not_ldoc_block'
  | 'name_mismatch'
  | 'param_name_mismatch'
  | 'undocumented_nil_err'
  | 'wrong_treturn'
  | 'optional_undocumented'
  | 'unknown_tag';

/** One defect met in one tree. */
export interface Defect {
  kind: DefectKind;
  /** The function it concerns, after any rename. */
  function: string;
  /** `kong/pdk/request.lua:690`. */
  source: string;
  message: string;
  /** The id of the reviewed rule that covers it; absent = not reviewed yet. */
  rule?: string;
}

/** A function whose `@phases` and code phase check disagree, as met in one tree. */
export interface PhaseDisagreement {
  function: string;
  /** Where the check is: `kong/pdk/service/response.lua:154`. */
  source: string;
  /** The `@phases` list (absent: the doc names none). */
  doc?: string[];
  /** The check as written and the phases it accepts. */
  check: string;
  code: string[];
  /** What the extraction took from the code (phases it decides only). */
  added: string[];
  removed: string[];
}

/** Tree-level facts of the RPC layer (not per function). */
export interface RpcLayerFacts {
  /** plugin_servers files read, relative to the tree. */
  files: string[];
  /** `first`: call_pdk_method keeps only the first return value (Kong ≥ 3.0); `all`: every value (errors become StepError). */
  callPdkMethodReturns?: 'first' | 'all';
  /** The proto file read, if any. */
  proto?: string;
}

/** Everything read from one Kong tree. */
export interface TreeExtraction {
  /** `2.8.0`, …, `main`. */
  label: string;
  /** kong/meta.lua's version (with `-dev` for main). */
  version: string;
  commit?: string;
  functions: PdkFunction[];
  defects: Defect[];
  /** Other things worth a look (an unloaded module, an unmatched exposed_api key, …). */
  warnings: string[];
  rpc: RpcLayerFacts;
  /** Modules kong/pdk/init.lua loads, and the subsystem-only ones. */
  modules: { loaded: string[]; subsystemOnly: Record<string, 'http' | 'stream'> };
  /** Names found in code but never documented (e.g. kong.log.emerg). */
  undocumented: string[];
  /** Functions whose doc and code phase check disagree. */
  phaseDisagreements: PhaseDisagreement[];
}
