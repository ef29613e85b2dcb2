/**
 * `kong-ts-pdk/testing`: run a plugin's phases against a fake Kong and assert on what it did.
 *
 * The plugin runs in the real plugin server — its RPC handlers behind the generated
 * dispatcher, its instances and events, the generated PDK client — and the kit plays Kong's
 * side of the MessagePack-RPC loop: StartInstance, HandleEvent, then one Step variant per PDK
 * call, with every message encoded and decoded as on the wire. Kong's answers come from a
 * small stateful simulator of the PDK (request, response, service request, ctx, logs,
 * entities); a call it does not implement fails the test with "not simulated: kong.x.y".
 *
 * ```ts
 * import { loadPlugin } from 'kong-ts-pdk/testing';
 *
 * const kit = await loadPlugin<MyConfig>(__dirname + '/my-plugin.ts', { config: { header: 'x-hello' } });
 * const r = await kit.request({ method: 'POST', url: '/v1/things?x=1', headers: { 'x-api-key': 'k1' }, body: { a: 1 } })
 *   .run(['access', 'response', 'log']);
 * r.exit;                             // { status, body, headers, rawBody } when the plugin ended the request
 * r.serviceRequest.header('x-hello'); // what the upstream receives
 * r.response.headers;                 // what the client receives
 * r.logs;                             // kong.log.* lines
 * r.calls;                            // every PDK call, its arguments and Kong's answer
 * await kit.close();
 * ```
 */
export { connectPlugin, loadPlugin, PluginKit, KongRequest } from './kit.js';
export {
  DEFAULT_CLIENT_BODY_BUFFER_SIZE,
  FakeKong,
  SIMULATED_FUNCTIONS,
  type Answer,
  type FakeKongOptions,
  type PdkState,
} from './fake-kong/index.js';
export { KitError, kongRaises, pdkError, type KitErrorKind, KongRaise, NilErr, NotSimulated } from './errors.js';
export {
  DEFAULT_ROUTE_ID,
  DEFAULT_SERVICE_ID,
  DEFAULT_WORKSPACE_ID,
  makeConsumer,
  makeCredential,
  makeRoute,
  makeService,
} from './entities.js';
export type {
  ExitInfo,
  KitOptions,
  LogLine,
  PdkCallRecord,
  PdkOverride,
  PdkOverrides,
  RequestSpec,
  ResponseSnapshot,
  RunResult,
  ServiceRequestSnapshot,
  SkippedPhase,
  UpstreamResponse,
} from './types.js';
