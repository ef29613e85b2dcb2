/**
 * Kong runs an external plugin's log handler in a timer after the response was sent
 * (docs/protocol.md §3.6), where nginx's request APIs raise; only what Kong saved before
 * starting the timer is readable there.
 */

// Request-bound functions that raise in the log phase's timer: everything not answered from the
// data Kong saved before starting the timer.
const LOG_TIMER_SAFE_REQUEST = new Set([
  'kong.request.get_header',
  'kong.request.get_headers',
  'kong.request.get_uri_captures',
  'kong.request.get_start_time',
]);
const LOG_TIMER_RAISES = new Set([
  'kong.client.get_ip',
  'kong.client.get_port',
  'kong.client.get_forwarded_ip',
  'kong.client.get_forwarded_port',
  'kong.client.get_protocol',
  'kong.client.tls.get_full_client_certificate_chain',
  'kong.nginx.get_var',
  'kong.nginx.get_tls1_version_str',
]);

/** True when Kong raises on `method` in the log phase's timer. */
export function raisesInLogTimer(method: string): boolean {
  if (method.startsWith('kong.request.')) return !LOG_TIMER_SAFE_REQUEST.has(method);
  return method.startsWith('kong.service.response.') || LOG_TIMER_RAISES.has(method);
}

/** What to tell a plugin author who called one of those. */
export const LOG_TIMER_HELP =
  "Kong runs an external plugin's log handler in a timer after the response has been sent, where nginx's request APIs are disabled " +
  '("API disabled in the context of ngx.timer"); only saved data is readable there: kong.request.getHeader(s), getUriCaptures, getStartTime, ' +
  'kong.response.getStatus/getHeader(s)/getSource, kong.log.serialize, kong.ctx.shared, kong.nginx.getCtx/setCtx/reqStartTime, ' +
  'kong.router.*, kong.client.getConsumer/getCredential. Read the value in an earlier phase and keep it in kong.ctx.shared ' +
  '(or pass { logPhaseTimer: false } to the kit)';
