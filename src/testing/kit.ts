/**
 * The kit: loads a plugin into a real plugin server (its handlers, instances and events) and
 * plays Kong's side of the protocol against it — StartInstance, HandleEvent, then one Step per
 * PDK call, answered by the fake Kong — exactly the RPCs Kong makes (docs/protocol.md §3).
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  CONTRACT_PHRASE,
  EXIT_PHASES,
  FAIL_CLOSED_RESPONSE,
  PDK_FUNCTIONS,
  PHASES,
  type EventReply,
  type Phase,
  type PluginInfo,
  type RpcArgs,
  type RpcMethodName,
  type RpcResult,
  type StepMethodName,
} from '../../generated/index.js';
import { createLogger, errorText } from '../log.js';
import type { PluginErrorReport } from '../options.js';
import { implementedPhases, loadPlugin as loadPluginFile, loadPluginDir, rawBodyModeOf } from '../plugins/loader.js';
import type { LoadablePluginModule } from '../plugins/module-types.js';
import type { LoadedPlugin, PluginClass } from '../plugins/types.js';
import { PluginServer } from '../server/server.js';
import { MemoryChannel, RpcReplyError, SocketChannel, type RpcChannel } from './channel.js';
import { completeConfig, startInstanceConfig } from './config.js';
import { KitError, KongRaise, NotSimulated } from './errors.js';
import { deepCopy } from './lua.js';
import { DEFAULT_CLIENT_BODY_BUFFER_SIZE, FakeKong, kongName, type Answer } from './fake-kong/index.js';
import type { KitOptions, PdkCallRecord, RequestSpec, RunResult, SkippedPhase } from './types.js';

/** What every kit of one loaded plugin shares: the server, the connection, the server's log. */
interface Backend {
  channel: RpcChannel;
  server: PluginServer | undefined;
  tmpDir: string | undefined;
  serverLog: string[];
  /** Plugin failures the server reported (handlers that threw, instances that cannot run). */
  pluginErrors: PluginErrorReport[];
  closed: boolean;
}

/** The Step variant Kong answers `method`'s result with (plain Step for a method Kong does not know). */
function stepFor(method: string): StepMethodName {
  // PdkFunctionInfo.step is typed string; the generator writes only Step method names there.
  return (PDK_FUNCTIONS.get(method)?.step ?? 'plugin.Step') as StepMethodName;
}

function mergeSpecs(base: RequestSpec | undefined, spec: RequestSpec): RequestSpec {
  if (!base) return spec;
  return {
    ...base,
    ...spec,
    headers: { ...(base.headers ?? {}), ...(spec.headers ?? {}) },
    overrides: { ...(base.overrides ?? {}), ...(spec.overrides ?? {}) },
    pdkErrors: { ...(base.pdkErrors ?? {}), ...(spec.pdkErrors ?? {}) },
  };
}

/**
 * One plugin loaded for testing, with one configuration. Make requests with {@link request};
 * {@link close} it when done (required with `transport: 'socket'`, harmless otherwise).
 */
export class PluginKit<Config = Record<string, unknown>> {
  private instance: number | undefined;
  private brokenReason: string | undefined;

  /** @internal use {@link loadPlugin}. */
  constructor(
    private readonly backend: Backend,
    /** The plugin's info as the server answers `plugin.GetPluginInfo` (what Kong reads from the dump). */
    readonly info: PluginInfo,
    /** The configuration Kong would store: yours, with the schema's defaults filled in. */
    readonly config: Config,
    private readonly options: KitOptions<Config>,
    private readonly root: boolean,
    private readonly pluginId: string = randomUUID(),
  ) {}

  /** The plugin's name. */
  get name(): string {
    return this.info.Name;
  }

  /** The phases the plugin implements. */
  get phases(): readonly Phase[] {
    return this.info.Phases as Phase[];
  }

  /** The plugin server's log lines so far (debug level). */
  get serverLog(): readonly string[] {
    return this.backend.serverLog;
  }

  /** A new request through the fake Kong; run its phases with {@link KongRequest.run}. */
  request(spec: RequestSpec = {}): KongRequest<Config> {
    if (this.backend.closed) throw new KitError('usage', 'this kit is closed');
    const o = this.options;
    const kong = new FakeKong(mergeSpecs(o.defaults, spec), {
      kongVersion: o.kongVersion ?? '3.10.0',
      checkPhases: o.checkPhases ?? true,
      logPhaseTimer: o.logPhaseTimer ?? true,
      trustedIps: o.trustedIps ?? [],
      upstreams: o.upstreams ?? [],
      vault: o.vault ?? {},
      overrides: o.overrides ?? {},
      pluginId: this.pluginId,
      clientBodyBufferSize: o.clientBodyBufferSize ?? DEFAULT_CLIENT_BODY_BUFFER_SIZE,
    });
    return new KongRequest(this, kong);
  }

  /** Shorthand for `kit.request(spec).run(phases)`. */
  run(spec: RequestSpec = {}, phases?: Phase | readonly Phase[]): Promise<RunResult> {
    return this.request(spec).run(phases);
  }

  /**
   * The same plugin with another configuration: Kong starts one instance per configuration.
   * Shares this kit's server; closing the kit returned only closes its instance.
   */
  async withConfig(config: Partial<Config> | Config): Promise<PluginKit<Config>> {
    const completed = checkedConfig(this.info, config as Record<string, unknown>, this.options.validateConfig ?? true);
    return new PluginKit<Config>(this.backend, this.info, completed as Config, { ...this.options, config }, false);
  }

  /** Sends one RPC as Kong, with the kit's timeout. @internal */
  rpc<M extends RpcMethodName>(method: M, args: RpcArgs<M>, onTimeout?: () => void): Promise<RpcResult<M>> {
    return this.timed(method, () => this.backend.channel.call(method, ...args), onTimeout);
  }

  /** Sends a Step whose `Data` is a msgpack str of `bytes` (Kong 2.x raw bodies), with the kit's timeout. @internal */
  stepWithStr(method: StepMethodName, eventId: number, bytes: Buffer, onTimeout?: () => void): Promise<EventReply> {
    return this.timed(method, () => this.backend.channel.stepWithStr(method, eventId, bytes), onTimeout);
  }

  private async timed<T>(method: string, send: () => Promise<T>, onTimeout: (() => void) | undefined): Promise<T> {
    const ms = this.options.timeoutMs ?? 5000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        onTimeout?.();
        reject(
          new KitError(
            'timeout',
            `${method}: no answer within ${ms} ms — the plugin neither made its next PDK call nor finished (is it awaiting something that never resolves?)`,
          ),
        );
      }, ms);
    });
    try {
      return await Promise.race([send(), timeout]);
    } catch (e) {
      if (e instanceof RpcReplyError) {
        const err = new KitError('rpc-error', `${method}: the plugin server answered with an error: ${e.message}`);
        err.rpcError = e.message;
        throw err;
      }
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The instance for this configuration, started on first use (Kong's StartInstance). @internal */
  async instanceId(): Promise<number> {
    if (this.instance !== undefined) return this.instance;
    const info = await this.rpc('plugin.StartInstance', [
      {
        Name: this.info.Name,
        Config: startInstanceConfig(this.config as Record<string, unknown>, this.info.Name, this.pluginId),
      },
    ]);
    this.instance = info.Id;
    this.brokenReason = this.backend.pluginErrors.find(
      (r) => r.instanceId === info.Id && r.eventId === undefined,
    )?.message;
    return info.Id;
  }

  /** Forgets the instance (after Kong was told "no plugin instance"). @internal */
  forgetInstance(): void {
    this.instance = undefined;
  }

  /** Why the instance cannot run (its constructor threw, …), if it cannot. @internal */
  get broken(): string | undefined {
    return this.brokenReason;
  }

  /** Frees an event the kit stopped driving, so the plugin's handler unwinds. @internal */
  abandonEvent(eventId: number): void {
    this.backend.server?.state.events.get(eventId)?.abandon('closed');
  }

  /** @internal */
  get kitOptions(): KitOptions<Config> {
    return this.options;
  }

  /** @internal */
  get logLines(): string[] {
    return this.backend.serverLog;
  }

  /** Failures the server reported for one event. @internal */
  reportsFor(eventId: number): PluginErrorReport[] {
    return this.backend.pluginErrors.filter((r) => r.eventId === eventId);
  }

  /** Closes the instance and, for the kit {@link loadPlugin} returned, the server and connection. */
  async close(): Promise<void> {
    if (this.backend.closed) return;
    if (this.instance !== undefined) {
      try {
        await this.rpc('plugin.CloseInstance', [this.instance]);
      } catch {
        // already gone
      }
      this.instance = undefined;
    }
    if (!this.root) return;
    this.backend.closed = true;
    this.backend.channel.close();
    await this.backend.server?.close(0);
    if (this.backend.tmpDir) fs.rmSync(this.backend.tmpDir, { recursive: true, force: true });
  }
}

/** One request: its fake-Kong state persists across the phases run, as in Kong. */
export class KongRequest<Config = Record<string, unknown>> {
  private lastPhase = -1;
  private readonly ran: Phase[] = [];
  private readonly skipped: SkippedPhase[] = [];
  private readonly calls: PdkCallRecord[] = [];
  private readonly pluginErrors: { phase: Phase; message: string }[] = [];
  private readonly serverLog: string[] = [];

  /** @internal use {@link PluginKit.request}. */
  constructor(
    private readonly kit: PluginKit<Config>,
    /** The fake Kong's state for this request (readable and changeable between runs). */
    readonly kong: FakeKong,
  ) {}

  /**
   * Runs phases of this request in Kong's order (certificate, rewrite, access, response,
   * preread, log). Default: every http phase the plugin implements (`certificate` only for an
   * https URL). A phase the plugin does not implement is skipped, as Kong skips it; after
   * `kong.response.exit`/`error` only `log` still runs, as in Kong. A later `run` continues the
   * same request with later phases.
   *
   * Rejects with a {@link KitError} when Kong would raise, a call is not simulated, the
   * plugin throws (unless `failOnPluginError: false`) or stops answering; the error's
   * `result` holds what had happened so far.
   */
  async run(phases?: Phase | readonly Phase[]): Promise<RunResult> {
    const wanted = phases === undefined ? this.defaultPhases() : typeof phases === 'string' ? [phases] : [...phases];
    for (const p of wanted)
      if (!(PHASES as readonly string[]).includes(p))
        throw new KitError('usage', `unknown phase ${String(p)} (phases: ${PHASES.join(', ')})`);
    const ordered = [...new Set(wanted)].sort((a, b) => PHASES.indexOf(a) - PHASES.indexOf(b));
    for (const phase of ordered) {
      const index = PHASES.indexOf(phase);
      if (index <= this.lastPhase) {
        throw new KitError(
          'usage',
          `phase ${phase} cannot run: ${PHASES[this.lastPhase]!} already ran for this request (make a new kit.request() for another request)`,
        );
      }
      this.lastPhase = index;
      if (!this.kit.phases.includes(phase)) {
        this.skipped.push({ phase, reason: 'the plugin does not implement it' });
        continue;
      }
      const exit = this.kong.exit;
      if (exit && phase !== 'log') {
        this.skipped.push({
          phase,
          reason: `the request ended with kong.response.${exit.via}(${exit.status}) in ${exit.phase}`,
        });
        continue;
      }
      try {
        await this.runPhase(phase);
      } catch (e) {
        if (e instanceof KitError) e.result = this.result();
        throw e;
      }
      this.ran.push(phase);
    }
    return this.result();
  }

  private defaultPhases(): Phase[] {
    return this.kit.phases.filter(
      (p) => p !== 'preread' && (p !== 'certificate' || this.kong.request.scheme === 'https'),
    );
  }

  private async handleEvent(phase: Phase): Promise<EventReply> {
    const send = async () =>
      this.kit.rpc('plugin.HandleEvent', [{ InstanceId: await this.kit.instanceId(), EventName: phase }]);
    try {
      return await send();
    } catch (e) {
      // Kong's answer to "no plugin instance": start the instance again and redo the event.
      if (e instanceof KitError && e.rpcError?.toLowerCase().includes(CONTRACT_PHRASE)) {
        this.kit.forgetInstance();
        return send();
      }
      throw e;
    }
  }

  private async runPhase(phase: Phase): Promise<void> {
    const kong = this.kong;
    kong.phase = phase;
    if (phase === 'response' || phase === 'log') kong.proxy();
    const mark = this.kit.logLines.length;
    let reply = await this.handleEvent(phase);
    const eventId = reply.EventId;
    const abandon = () => this.kit.abandonEvent(eventId);
    const step = (method: StepMethodName, data?: unknown) =>
      this.kit.rpc(method, [data === undefined ? { EventId: eventId } : { EventId: eventId, Data: data }], abandon);
    try {
      while (reply.Data !== 'ret') {
        const call = reply.Data;
        const record: PdkCallRecord = { phase, method: call.Method, args: call.Args, outcome: 'value' };
        this.calls.push(record);
        const answer = this.answer(record, eventId);
        if (answer.kind === 'exit') {
          // Kong never answers exit/error: the event is over.
          record.outcome = 'exit';
          break;
        }
        const stepMethod = stepFor(call.Method);
        if (answer.kind === 'unknown-method') {
          record.outcome = 'unknown-method';
          record.step = 'plugin.Step';
          reply = await step('plugin.Step');
        } else if (answer.kind === 'nil-err') {
          record.outcome = 'nil-err';
          record.error = answer.message;
          if (kong.isKong2) {
            record.step = 'plugin.StepError';
            reply = await this.kit.rpc('plugin.StepError', [{ EventId: eventId, Data: answer.message }], abandon);
          } else {
            record.step = stepMethod;
            reply = await step(stepMethod);
          }
        } else {
          record.step = stepMethod;
          record.result = answer.value;
          reply = answer.strBytes
            ? await this.kit.stepWithStr(stepMethod, eventId, answer.strBytes, abandon)
            : await step(stepMethod, answer.value);
        }
      }
    } finally {
      this.collectServerLog(mark, phase, eventId);
    }
    const failOn = this.kit.kitOptions.failOnPluginError ?? true;
    const mine = this.pluginErrors.filter((e) => e.phase === phase);
    if (failOn && mine.length) {
      throw new KitError(
        'plugin-error',
        `plugin ${this.kit.name} failed in ${phase}: ${mine.map((e) => e.message).join('; ')} (pass failOnPluginError: false to inspect result.pluginErrors instead)`,
      );
    }
  }

  private answer(record: PdkCallRecord, eventId: number): Answer {
    try {
      return this.kong.answer(record.method, record.args);
    } catch (e) {
      this.kit.abandonEvent(eventId);
      if (e instanceof NotSimulated) {
        record.outcome = 'not-simulated';
        record.error = e.message;
        throw new KitError('not-simulated', e.message);
      }
      if (e instanceof KitError) throw e;
      const message = e instanceof KongRaise ? e.message : `an override threw: ${errorText(e)}`;
      record.outcome = 'raised';
      record.error = message;
      const consequence = EXIT_PHASES.has(record.phase)
        ? `Kong stops running the plugin for this request and the client gets HTTP ${FAIL_CLOSED_RESPONSE.status} "${FAIL_CLOSED_RESPONSE.body.message}"`
        : 'Kong stops running the plugin for this request and logs the error';
      throw new KitError(
        'kong-raised',
        `Kong raises a Lua error on ${record.method} in the ${record.phase} phase: ${message}. ${consequence}; the call is never answered.`,
      );
    }
  }

  private collectServerLog(mark: number, phase: Phase, eventId: number): void {
    const lines = this.kit.logLines.slice(mark);
    this.serverLog.push(...lines);
    for (const r of this.kit.reportsFor(eventId))
      this.pluginErrors.push({ phase, message: `the handler threw: ${r.message}` });
    if (this.kit.broken)
      this.pluginErrors.push({
        phase,
        message: `the instance cannot run (${this.kit.broken}); the server fails closed`,
      });
  }

  /** What the request has done so far. */
  result(): RunResult {
    const kong = this.kong;
    const calls = this.calls.map((c) => ({ ...c }));
    const logs = kong.logs.map((l) => ({ ...l }));
    return {
      ran: [...this.ran],
      skipped: [...this.skipped],
      ...(kong.exit ? { exit: kong.exit } : {}),
      proxied: kong.exit === undefined,
      response: kong.responseSnapshot(),
      serviceRequest: kong.serviceRequestSnapshot(),
      logs,
      ctxShared: deepCopy(kong.ctxShared),
      ngxCtx: deepCopy(kong.ngxCtx),
      ...(kong.consumer ? { consumer: kong.consumer } : {}),
      ...(kong.credential ? { credential: kong.credential } : {}),
      serializeValues: kong.serializeValues(),
      calls,
      pluginErrors: [...this.pluginErrors],
      serverLog: [...this.serverLog],
      logMessages: (level?: string) =>
        logs.filter((l) => level === undefined || l.level === level).map((l) => l.message),
      callsTo: (method: string) => {
        const name = kongName(method);
        return calls.filter((c) => c.method === name);
      },
    };
  }
}

function checkedConfig(info: PluginInfo, config: Record<string, unknown>, validate: boolean): Record<string, unknown> {
  const fields =
    ((info.Schema.fields as unknown[] | undefined)?.[0] as { config?: { fields?: unknown[] } } | undefined)?.config
      ?.fields ?? [];
  const { config: completed, problems } = completeConfig(fields, config);
  if (problems.length && validate) {
    throw new KitError(
      'config',
      `invalid configuration for plugin ${info.Name} (Kong's admin API would refuse it): ${problems.join('; ')} (pass validateConfig: false to send it anyway)`,
    );
  }
  return completed;
}

function moduleToLoaded<Config>(mod: LoadablePluginModule<Config>, name: string | undefined): LoadedPlugin {
  if (typeof mod?.Plugin !== 'function')
    throw new KitError('usage', 'the module exports no Plugin class (expected { Plugin, Version, Priority, Schema })');
  const Plugin = mod.Plugin as unknown as PluginClass;
  return {
    name: (name ?? mod.Name ?? (Plugin.name || 'plugin')).toLowerCase(),
    path: '<module>',
    entry: '<module>',
    minKongVersion: mod.MinKongVersion,
    version: mod.Version === undefined ? undefined : String(mod.Version),
    priority: mod.Priority ?? 0,
    rawBodies: rawBodyModeOf(mod),
    phases: implementedPhases(Plugin),
    schemaFields: Array.isArray(mod.Schema) ? [...mod.Schema] : [],
    Plugin,
    modTime: Date.now() / 1000,
    loadTime: Date.now() / 1000,
    lastStartInstance: 0,
    lastCloseInstance: 0,
  };
}

async function loadFromPath(source: string, name: string | undefined): Promise<{ plugin: LoadedPlugin; dir: string }> {
  const full = path.resolve(source);
  if (!fs.existsSync(full)) throw new KitError('usage', `no plugin at ${full}`);
  const isDir = fs.statSync(full).isDirectory();
  const isPackage = isDir && fs.existsSync(path.join(full, 'package.json'));
  if (!isDir || isPackage) {
    try {
      return { plugin: await loadPluginFile(full), dir: path.dirname(full) };
    } catch (e) {
      throw new KitError('usage', `plugin ${full} failed to load: ${errorText(e)}`);
    }
  }
  const { plugins, failures } = await loadPluginDir(full);
  const failed = failures.map((f) => `${f.path}: ${f.reason}`).join('; ');
  if (name !== undefined) {
    const p = plugins.get(name.toLowerCase());
    if (!p)
      throw new KitError(
        'usage',
        `no plugin ${name} in ${full} (found: ${[...plugins.keys()].join(', ') || 'none'}${failed ? `; failed to load: ${failed}` : ''})`,
      );
    return { plugin: p, dir: full };
  }
  if (plugins.size !== 1) {
    throw new KitError(
      'usage',
      `${full} holds ${plugins.size} plugins (${[...plugins.keys()].join(', ') || 'none'}${failed ? `; failed to load: ${failed}` : ''}); pass options.name`,
    );
  }
  return { plugin: [...plugins.values()][0]!, dir: full };
}

/**
 * Loads a plugin for testing: a plugin file (`.js`, `.ts`, …), a directory holding plugins
 * (pick one with `options.name`), or the plugin module object itself. The plugin runs in a
 * real plugin server (in memory by default, or behind a unix socket), driven by a fake Kong.
 *
 * ```ts
 * const kit = await loadPlugin<ApiKeyConfig>('plugins/api-key.ts', { config: { keys: ['k1'] } });
 * const r = await kit.request({ headers: { 'x-api-key': 'nope' } }).run(['access']);
 * assert.equal(r.exit?.status, 401);
 * ```
 *
 * Rejects with a {@link KitError} when the plugin does not load, Kong would refuse it (bad
 * Version, schema, …) or the config does not pass its schema.
 */
export async function loadPlugin<Config = Record<string, unknown>>(
  source: string | LoadablePluginModule<Config>,
  options: KitOptions<Config> = {},
): Promise<PluginKit<Config>> {
  const serverLog: string[] = [];
  const { plugin, dir } =
    typeof source === 'string'
      ? await loadFromPath(source, options.name)
      : { plugin: moduleToLoaded(source, options.name), dir: undefined };
  const logger = createLogger('debug', (line) => serverLog.push(line.replace(/\n$/, '')));
  const transport = options.transport ?? 'memory';
  if (transport !== 'memory' && transport !== 'socket')
    throw new KitError('usage', `transport must be 'memory' or 'socket', got ${String(transport)}`);
  const pluginErrors: PluginErrorReport[] = [];
  const server = new PluginServer(new Map([[plugin.name, plugin]]), dir, {
    logger,
    greeting: transport === 'socket',
    onPluginError: (r) => pluginErrors.push(r),
  });
  let backend: Backend;
  if (transport === 'socket') {
    const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kts-kit-'));
    const socketPath = path.join(tmpDir, `${plugin.name}.socket`);
    await server.listen(socketPath);
    backend = { channel: await SocketChannel.open(socketPath), server, tmpDir, serverLog, pluginErrors, closed: false };
  } else {
    backend = {
      channel: new MemoryChannel(server.handlers),
      server,
      tmpDir: undefined,
      serverLog,
      pluginErrors,
      closed: false,
    };
  }
  return startKit(backend, plugin.name, options);
}

/**
 * Drives a plugin of an already running plugin server (for example one started with
 * `kong-ts-pluginserver -d <dir> --plugin <name> -p <prefix>`) through its unix socket, with
 * the same fake Kong. The plugin's phases and schema are read with `plugin.GetPluginInfo`.
 * The server's log is not visible from here, so plugin exceptions cannot be reported (the
 * server answers Kong as if the phase had succeeded), and an event the kit stops driving is
 * only freed by the server's own expiry.
 */
export async function connectPlugin<Config = Record<string, unknown>>(
  socketPath: string,
  name: string,
  options: KitOptions<Config> = {},
): Promise<PluginKit<Config>> {
  const backend: Backend = {
    channel: await SocketChannel.open(socketPath),
    server: undefined,
    tmpDir: undefined,
    serverLog: [],
    pluginErrors: [],
    closed: false,
  };
  return startKit(backend, name, options);
}

async function startKit<Config>(
  backend: Backend,
  name: string,
  options: KitOptions<Config>,
): Promise<PluginKit<Config>> {
  const close = async () => {
    backend.closed = true;
    backend.channel.close();
    await backend.server?.close(0);
    if (backend.tmpDir) fs.rmSync(backend.tmpDir, { recursive: true, force: true });
  };
  try {
    const bufferSize = options.clientBodyBufferSize;
    if (bufferSize !== undefined && !(Number.isInteger(bufferSize) && bufferSize >= 0))
      throw new KitError(
        'usage',
        `clientBodyBufferSize must be a number of bytes (an integer ≥ 0), got ${String(bufferSize)}`,
      );
    let info: PluginInfo;
    try {
      // What Kong reads from the dump; the server refuses a plugin Kong would refuse.
      info = await backend.channel.call('plugin.GetPluginInfo', name);
    } catch (e) {
      throw new KitError('config', `plugin.GetPluginInfo: ${errorText(e)}`);
    }
    const config = checkedConfig(
      info,
      deepCopy((options.config ?? {}) as Record<string, unknown>),
      options.validateConfig ?? true,
    );
    return new PluginKit<Config>(backend, info, config as Config, options, true);
  } catch (e) {
    await close();
    throw e;
  }
}
