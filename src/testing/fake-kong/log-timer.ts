/**
 * Kong runs an external plugin's log handler in a timer after the response was sent
 * (docs/protocol.md §3.6), where nginx's request API raises; only what Kong saved before the
 * timer, and from 3.0 the request's ngx.ctx, is readable there. Which function is which comes
 * from the IDL (`PdkFunctionInfo.logTimer`, rpc.yaml `log_timer`).
 */
import { LOG_TIMER_NGX_CTX_SINCE, PDK_FUNCTIONS, type PdkFunctionInfo } from '../../../generated/index.js';
import { versionAtLeast } from './kong-version.js';

/** What a call does in the log timer: raise, read nil from an empty ngx.ctx, or run as in any phase. */
export type LogTimerOutcome = 'raises' | 'nil' | 'runs';

/** What `info`'s function does in the log timer of the Kong release `kongVersion`. */
export function logTimerOutcome(info: PdkFunctionInfo, kongVersion: string): LogTimerOutcome {
  const behaviour = info.logTimer;
  // No behaviour: the function cannot run in log at all, which the phase check reports.
  if (!behaviour) return 'runs';
  let kind = behaviour.kind;
  if (kind === 'saved' && behaviour.savedSince && !versionAtLeast(kongVersion, behaviour.savedSince))
    kind = behaviour.before ?? 'raises';
  if (kind === 'raises') return 'raises';
  if (kind === 'ngx_ctx' && LOG_TIMER_NGX_CTX_SINCE && !versionAtLeast(kongVersion, LOG_TIMER_NGX_CTX_SINCE))
    return 'nil';
  return 'runs';
}

/** What to tell a plugin author who called a function that raises in the timer of `kongVersion`. */
export function logTimerHelp(kongVersion: string): string {
  const readable = [...PDK_FUNCTIONS.values()]
    .filter((f) => {
      const kind = f.logTimer?.kind;
      return (kind === 'saved' || kind === 'ngx_ctx') && logTimerOutcome(f, kongVersion) === 'runs';
    })
    .map((f) => f.camel)
    .sort();
  return (
    "Kong runs an external plugin's log handler in a timer after the response has been sent, where nginx's request APIs are disabled " +
    `("API disabled in the context of ngx.timer"); of the request's data only this is readable there on Kong ${kongVersion}: ` +
    `${readable.join(', ')}. Read the value in an earlier phase and keep it in kong.ctx.shared ` +
    '(or pass { logPhaseTimer: false } to the kit)'
  );
}
