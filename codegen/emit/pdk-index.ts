/**
 * Emits `generated/pdk-index.json`: every PDK function of the IDL with its flags, whether the
 * client exposes it and, if not, why. Docs and tests read it instead of parsing TypeScript.
 */
import type { IdlModel } from '../idl/model.js';
import { header } from './common.js';
import { callFlags } from './pdk-client.js';

/** `generated/pdk-index.json`. */
export function emitPdkIndex(idl: IdlModel): string {
  const functions = [...idl.functions].sort((a, b) => a.name.localeCompare(b.name));
  const index = {
    _generated: header([idl.files.pdk, ...(idl.files.overrides ? [idl.files.overrides] : [])], 'json'),
    kong: idl.kong,
    log_timer_ngx_ctx_since: idl.logTimerNgxCtxSince ?? null,
    counts: {
      functions: functions.length,
      exposed: functions.filter((f) => f.usable).length,
      not_exposed: functions.filter((f) => !f.usable).length,
      rpc_only: functions.filter((f) => f.kind === 'rpc_only').length,
    },
    functions: functions.map((f) => ({
      name: f.name,
      module: f.module,
      camel: f.usable ? f.camel : null,
      kong_js_pdk_alias: f.kongJsPdkAlias ?? null,
      kind: f.kind,
      source: f.source ?? null,
      since: f.since ?? null,
      until: f.until ?? null,
      subsystem: f.subsystem ?? null,
      params: f.params.map((p) => ({
        name: p.lua,
        type: p.typeText,
        optional: p.optional,
        documented: p.documented,
        ...(p.since ? { since: p.since } : {}),
      })),
      result: f.resultText,
      returns: f.returns.map((r) => ({ type: r.typeText, error: r.error })),
      nil_err: f.nilErr,
      phases: f.phases ?? null,
      plugin_phases: f.externalPhases ?? null,
      never_returns: f.neverReturns,
      step: f.step,
      result_fix: f.resultFix ?? null,
      exposed_api: f.exposedApi ?? null,
      log_phase_saved: f.logPhaseSaved,
      log_timer: f.logTimer
        ? {
            kind: f.logTimer.kind,
            saved_since: f.logTimer.savedSince ?? null,
            before: f.logTimer.before ?? null,
          }
        : null,
      flags: callFlags(f),
      exposed: f.usable,
      not_exposed_because: f.unusableReasons,
      overrides: f.overrides,
      doc_defects: f.defects,
    })),
  };
  return JSON.stringify(index, null, 2) + '\n';
}
