/**
 * The primary process of a multi-process server (`--workers` above 1). Kong sees one server:
 * the primary holds the listening socket, greets with its own pid (through the workers), keeps
 * the instance table and hands every accepted connection to a worker. Each worker runs every
 * instance (so an instance's events run wherever HandleEvent arrives) and owns the events it
 * starts. The primary replaces a worker that dies or whose event loop stays blocked, creating
 * every live instance again in the new one under the same id.
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { RpcCallError, RpcErrors, type InstanceInfo, type ServerStatus } from '../../generated/rpc.js';
import { IdAllocator } from '../ids.js';
import { errorText, type LogFormat, type Logger, type LogLevel } from '../log.js';
import type { MetricsEndpoint } from '../metrics/endpoint.js';
import type { ClusterCounters, JsonMetrics } from './cluster-metrics.js';
import type { PluginErrorReport } from '../options.js';
import { encodeNotification } from '../wire/encoder.js';
import { applySocketMode, bindWithMode, prepareSocketPath } from '../server/socket-file.js';
import { firstEventId, successorIds } from './event-slots.js';
import { IpcLink } from './ipc-link.js';
import type {
  BlockedReport,
  ChannelMessage,
  IdRange,
  InstanceRecord,
  PrimaryRequest,
  WorkerCounters,
  WorkerInspection,
  WorkerRequest,
  WorkerServerOptions,
  WorkerStatusPart,
} from './messages.js';

/** How the primary runs its workers. */
export interface ClusterOptions {
  /** Number of worker processes (2 or more). */
  workers: number;
  /** The plugins directory every worker loads. */
  dir: string;
  /** One-plugin mode: the only plugin served. */
  only?: string | undefined;
  logger: Logger;
  logLevel: LogLevel;
  /** The workers' own log format when they write to stderr (default text). */
  logFormat?: LogFormat | undefined;
  /** Workers send their log lines to `logger` (embedded use) instead of writing to stderr. */
  forwardLogs?: boolean;
  /** The server's options, for every worker (the primary uses the idle time, sweep interval and greeting). */
  server: WorkerServerOptions;
  /** A worker whose loop stays blocked this long is replaced; 0 turns the watchdog off. */
  maxBlockedMs: number;
  /** Told of every plugin failure in any worker (as {@link ServerOptions.onPluginError}). */
  onPluginError?: ((report: PluginErrorReport) => void) | undefined;
}

/** One worker of GetStatus's `Workers` list (Kong ignores GetStatus; it is for people and tools). */
export interface WorkerStatusEntry {
  Slot: number;
  Pid: number;
  Generation: number;
  Ready: boolean;
  /** Replacements of this slot's worker so far (deaths and blocked loops). */
  Restarts: number;
  /** Of those, replacements because its loop stayed blocked. */
  BlockedRestarts: number;
  Events: number;
  ForwardedSteps: number;
  BlockedMs: number;
}

/** GetStatus of a multi-process server: the usual status plus one entry per worker. */
export interface ClusterStatus extends ServerStatus {
  Workers: WorkerStatusEntry[];
}

const EMPTY_COUNTERS: WorkerCounters = { events: 0, forwardedSteps: 0, blockedMs: 0, nextEventId: 0 };

class WorkerSlot {
  child: ChildProcess | undefined;
  link: IpcLink | undefined;
  generation = -1;
  ready = false;
  startedAt = 0;
  eventIdStart = 0;
  counters: WorkerCounters = EMPTY_COUNTERS;
  /** Counters of this slot's earlier workers. */
  pastForwarded = 0;
  pastBlockedMs = 0;
  restarts = 0;
  blockedRestarts = 0;
  lastBeat = 0;
  /** Why the primary is killing it (logged on exit). */
  killing: string | undefined;
  /** Instance ids of its init message (to send what changed while it started). */
  initIds: Set<number> | undefined;
  earlyDeaths = 0;
  constructor(readonly slot: number) {}
}

/** The primary of a multi-process server. */
export class ClusterPrimary {
  private readonly slots: WorkerSlot[];
  private readonly instances = new Map<number, InstanceRecord>();
  private readonly ids = new IdAllocator();
  private readonly runDir: string;
  private server: net.Server | undefined;
  private endpoint: MetricsEndpoint | undefined;
  private socketPath: string | undefined;
  private stopping = false;
  private next = 0;
  private readonly queued: net.Socket[] = [];
  private timers: NodeJS.Timeout[] = [];
  private firstReady: { resolve(names: string[]): void; reject(e: Error): void } | undefined;
  private plugins: string[] = [];

  private readonly opts: ClusterOptions;

  constructor(opts: ClusterOptions) {
    this.opts = { ...opts, dir: path.resolve(opts.dir) };
    this.slots = Array.from({ length: opts.workers }, (_, i) => new WorkerSlot(i));
    this.runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kong-ts-pluginserver-'));
  }

  /** Starts every worker; resolves with the served plugin names once all are ready. */
  async start(): Promise<string[]> {
    const ready = new Promise<string[]>((resolve, reject) => (this.firstReady = { resolve, reject }));
    for (const s of this.slots) this.spawn(s);
    await ready;
    const every = this.opts.server.sweepIntervalMs;
    const sweep = setInterval(() => void this.sweep(Date.now()), every);
    const watch = setInterval(() => this.watchBeats(), 250);
    sweep.unref();
    watch.unref();
    this.timers.push(sweep, watch);
    return this.plugins;
  }

  /**
   * Listens on `socketPath` with the configured mode and backlog, as the single-process server
   * does: a stale socket file is replaced, a live server's socket is an error.
   */
  async listen(socketPath: string): Promise<void> {
    const { socketMode, listenBacklog } = this.opts.server;
    await prepareSocketPath(socketPath);
    // The greeting leaves from here at once, as a single-process server sends it on accept:
    // a client that connects and closes (Kong 3.1–3.4's probe) still gets it.
    const greeting = this.opts.server.greeting ? encodeNotification('serverPid', process.pid) : undefined;
    const server = net.createServer({ pauseOnConnect: true }, (socket) => {
      socket.on('error', () => {});
      if (!greeting) this.assign(socket);
      else socket.write(greeting, () => this.assign(socket));
    });
    server.on('error', (e) => this.opts.logger.error(`listener error: ${errorText(e)}`));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      bindWithMode(socketMode, () =>
        server.listen({ path: socketPath, backlog: listenBacklog }, () => {
          server.off('error', reject);
          resolve();
        }),
      );
    });
    applySocketMode(socketPath, socketMode);
    this.server = server;
    this.socketPath = socketPath;
    const metricsListen = this.opts.server.metricsListen;
    if (metricsListen !== undefined) {
      // prom-client is loaded only when metrics are on.
      const { clusterMetricsSource } = await import('./cluster-metrics.js');
      const { startMetricsEndpoint } = await import('../metrics/endpoint.js');
      const source = clusterMetricsSource({
        counters: () => this.counters(),
        readyWorkers: () => this.slots.filter((s) => s.ready).length,
        workersJson: async () => {
          const live = this.slots.filter((s) => s.ready && s.link);
          return Promise.all(live.map((s) => s.link!.request({ k: 'metrics' }).catch((): JsonMetrics => [])));
        },
      });
      this.endpoint = await startMetricsEndpoint(metricsListen, source, {
        prepareSocketPath: (p) => prepareSocketPath(p),
      });
      this.opts.logger.info(`metrics at http://${this.endpoint.address}/metrics`);
    }
  }

  /** The pid of every live worker, by slot. */
  workerPids(): (number | undefined)[] {
    return this.slots.map((s) => s.child?.pid);
  }

  /** Counters summed over every worker this primary ran. */
  counters(): ClusterCounters {
    let restarts = 0;
    let blockedRestarts = 0;
    let forwardedSteps = 0;
    let blockedMs = 0;
    for (const s of this.slots) {
      restarts += s.restarts;
      blockedRestarts += s.blockedRestarts;
      forwardedSteps += s.pastForwarded + s.counters.forwardedSteps;
      blockedMs += s.pastBlockedMs + s.counters.blockedMs;
    }
    return { restarts, blockedRestarts, forwardedSteps, blockedMs };
  }

  /** Waits until every slot has a ready worker (after a replacement). */
  async whenAllReady(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.slots.some((s) => !s.ready)) {
      if (Date.now() > deadline) throw new Error('workers did not become ready');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /**
   * Runs the event TTL sweep in every worker and (unless `instances` is false) expires the
   * instances idle in all of them.
   */
  async sweep(now = Date.now(), instances = true): Promise<void> {
    const live = this.slots.filter((s) => s.ready && s.link);
    const uses = await Promise.all(live.map((s) => s.link!.request({ k: 'sweep', now }).catch(() => null)));
    // A worker that did not answer may be using an instance: expire nothing this round.
    if (!instances || uses.some((u) => u === null) || live.length < this.slots.length) return;
    const last = new Map<number, number>();
    const running = new Map<number, number>();
    for (const list of uses)
      for (const u of list!) {
        last.set(u.id, Math.max(last.get(u.id) ?? 0, u.lastUsed));
        running.set(u.id, (running.get(u.id) ?? 0) + u.running);
      }
    for (const rec of [...this.instances.values()]) {
      const used = last.get(rec.id);
      if (used === undefined || (running.get(rec.id) ?? 0) > 0 || now - used <= this.opts.server.instanceIdleMs)
        continue;
      this.instances.delete(rec.id);
      this.opts.logger.info(
        `instance ${rec.id} of ${rec.name} expired after ${Math.round((now - used) / 1000)} s idle`,
      );
      await this.everywhere({ k: 'remove', id: rec.id });
    }
  }

  /** Every worker's view (diagnostics and tests): events, instance use, plugin class members. */
  inspect(statics?: string): Promise<WorkerInspection[]> {
    return Promise.all(
      this.slots.filter((s) => s.ready && s.link).map((s) => s.link!.request({ k: 'inspect', statics })),
    );
  }

  /** GetStatus: every instance and plugin, the primary's pid, and the workers. */
  async status(): Promise<ClusterStatus> {
    const live = this.slots.filter((s) => s.ready && s.link);
    const parts = await Promise.all(
      live.map((s) => s.link!.request({ k: 'status' }).catch((): WorkerStatusPart | null => null)),
    );
    const plugins: ServerStatus['Plugins'] = Object.create(null) as ServerStatus['Plugins'];
    for (const part of parts) {
      if (!part) continue;
      for (const [name, p] of Object.entries(part.status.Plugins)) {
        const have = plugins[name];
        if (!have) {
          plugins[name] = { ...p, Instances: [...p.Instances] };
          continue;
        }
        const ids = new Set(have.Instances.map((i) => i.Id));
        for (const i of p.Instances) if (!ids.has(i.Id)) have.Instances.push(i);
        have.LastStartInstance = Math.max(have.LastStartInstance, p.LastStartInstance);
        have.LastCloseInstance = Math.max(have.LastCloseInstance, p.LastCloseInstance);
      }
    }
    for (const s of live) {
      const i = live.indexOf(s);
      const part = parts[i];
      if (part) s.counters = part.counters;
    }
    return {
      Pid: process.pid,
      Plugins: plugins,
      Workers: this.slots.map((s) => ({
        Slot: s.slot,
        Pid: s.child?.pid ?? 0,
        Generation: s.generation,
        Ready: s.ready,
        Restarts: s.restarts,
        BlockedRestarts: s.blockedRestarts,
        Events: s.ready ? s.counters.events : 0,
        ForwardedSteps: s.pastForwarded + s.counters.forwardedSteps,
        BlockedMs: s.pastBlockedMs + s.counters.blockedMs,
      })),
    };
  }

  /** Stops accepting, lets the workers finish running events for up to `graceMs`, removes the socket. */
  async close(graceMs = 500): Promise<void> {
    this.stopping = true;
    for (const t of this.timers) clearInterval(t);
    const server = this.server;
    this.server = undefined;
    const closed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    for (const q of this.queued.splice(0)) q.destroy();
    const endpoint = this.endpoint;
    this.endpoint = undefined;
    if (endpoint) await endpoint.close().catch(() => undefined);
    const exits = this.slots.map((s) => {
      const child = s.child;
      if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
      return new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        if (!s.link?.post({ t: 'stop', graceMs })) child.kill('SIGKILL');
        setTimeout(() => child.kill('SIGKILL'), graceMs + 200).unref();
      });
    });
    await Promise.all(exits);
    await closed;
    if (this.socketPath) {
      try {
        fs.unlinkSync(this.socketPath);
      } catch {
        // already gone
      }
    }
    fs.rmSync(this.runDir, { recursive: true, force: true });
  }

  // ------------------------------------------------------------------ workers

  private spawn(s: WorkerSlot): void {
    const previous = s.generation >= 0 ? s : undefined;
    s.generation++;
    s.ready = false;
    let lost: IdRange[] = [];
    if (previous && s.eventIdStart > 0) {
      const succ = successorIds(s.eventIdStart, s.counters.nextEventId || s.eventIdStart, s.slot, this.slots.length);
      s.eventIdStart = succ.start;
      lost = succ.lost;
    } else {
      s.eventIdStart = firstEventId(s.slot, this.slots.length);
    }
    s.pastForwarded += s.counters.forwardedSteps;
    s.pastBlockedMs += s.counters.blockedMs;
    s.counters = { ...EMPTY_COUNTERS, nextEventId: s.eventIdStart };
    const child = fork(path.join(__dirname, 'worker-main.js'), [], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc', 'pipe'],
      execArgv: [],
      serialization: 'json',
    });
    s.child = child;
    s.startedAt = Date.now();
    s.lastBeat = Date.now();
    s.killing = undefined;
    const link = new IpcLink(
      child,
      (body) => this.answer(s, body),
      (m, handle) => this.onMessage(s, m, handle),
    );
    s.link = link;
    this.readReports(s, child.stdio[4] as Readable | null);
    child.on('exit', (code, signal) => this.onExit(s, child, code, signal));
    child.on('error', (e) => this.opts.logger.error(`worker ${s.slot}: ${errorText(e)}`));
    s.initIds = new Set(this.instances.keys());
    link.post({
      t: 'init',
      init: {
        slot: s.slot,
        slots: this.slots.length,
        generation: s.generation,
        dir: this.opts.dir,
        only: this.opts.only,
        logLevel: this.opts.logLevel,
        logFormat: this.opts.logFormat ?? 'text',
        forwardLogs: this.opts.forwardLogs ?? false,
        server: this.opts.server,
        serverPid: process.pid,
        eventIdStart: s.eventIdStart,
        lostRanges: lost,
        lostRangesUntil: Date.now() + this.opts.server.eventTtlMs + 1000,
        instances: [...this.instances.values()],
        runDir: this.runDir,
        maxBlockedMs: this.opts.maxBlockedMs,
        reportPluginErrors: this.opts.onPluginError !== undefined,
      },
    });
  }

  private onMessage(s: WorkerSlot, m: ChannelMessage, _handle: net.Socket | undefined): void {
    switch (m.t) {
      case 'ready':
        void this.becomeReady(s, m.plugins);
        break;
      case 'failed':
        this.opts.logger.error(`worker ${s.slot} failed to start: ${m.error}`);
        if (this.firstReady) {
          this.firstReady.reject(new Error(m.error));
          this.firstReady = undefined;
        }
        break;
      case 'beat':
        s.counters = m.counters;
        s.lastBeat = Date.now();
        break;
      case 'log':
        this.opts.logger[m.level](m.msg, m.context);
        break;
      case 'plugin-error':
        this.opts.onPluginError?.(m.report);
        break;
      default:
        break;
    }
  }

  /** A started worker: bring it up to date with what changed while it loaded, then serve. */
  private async becomeReady(s: WorkerSlot, plugins: string[]): Promise<void> {
    const link = s.link!;
    const initIds = s.initIds ?? new Set<number>();
    s.initIds = undefined;
    try {
      for (const rec of this.instances.values())
        if (!initIds.has(rec.id)) await link.request({ k: 'create', rec, replica: true });
      for (const id of initIds) if (!this.instances.has(id)) await link.request({ k: 'remove', id });
    } catch {
      return; // it died meanwhile; its exit starts the next one
    }
    s.ready = true;
    s.lastBeat = Date.now();
    // Messages to a worker still loading are dropped: it learns which slots are down now.
    link.post({ t: 'slots', down: this.slots.filter((o) => !o.ready).map((o) => o.slot) });
    if (s.generation > 0) this.opts.logger.info(`worker ${s.slot} (pid ${s.child?.pid}) is serving again`);
    for (const o of this.slots) if (o !== s) o.link?.post({ t: 'slot', slot: s.slot, up: true });
    if (this.plugins.length === 0) this.plugins = plugins;
    if (this.firstReady && this.slots.every((o) => o.ready)) {
      this.firstReady.resolve(this.plugins);
      this.firstReady = undefined;
    }
    for (const q of this.queued.splice(0)) this.assign(q);
  }

  private onExit(s: WorkerSlot, child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (s.child !== child) return;
    const wasReady = s.ready;
    s.ready = false;
    s.link?.fail('the worker exited');
    s.link = undefined;
    for (const o of this.slots) if (o !== s) o.link?.post({ t: 'slot', slot: s.slot, up: false });
    if (this.stopping) return;
    const how = signal ? `was killed by ${signal}` : `exited with status ${code}`;
    const why = s.killing ?? how;
    s.restarts++;
    if (this.firstReady) {
      this.firstReady.reject(new Error(`worker ${s.slot} ${how} while starting`));
      this.firstReady = undefined;
      return;
    }
    // A worker that keeps dying before it serves (a plugin failing at load) is retried with a pause.
    s.earlyDeaths = wasReady ? 0 : s.earlyDeaths + 1;
    const delay = s.earlyDeaths > 1 ? Math.min(5000, 250 * 2 ** (s.earlyDeaths - 2)) : 0;
    this.opts.logger.error(
      `worker ${s.slot} (pid ${child.pid}) ${why}; ${delay ? `replacing it in ${delay} ms` : 'replacing it'} with every live instance`,
    );
    const t = setTimeout(() => {
      if (!this.stopping) this.spawn(s);
    }, delay);
    t.unref();
  }

  /** The watchdog thread's reports: a worker whose loop stays blocked is replaced. */
  private readReports(s: WorkerSlot, stream: Readable | null): void {
    if (!stream) return;
    let buf = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buf += chunk;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        let r: BlockedReport;
        try {
          r = JSON.parse(line) as BlockedReport;
        } catch {
          continue;
        }
        this.blocked(s, r);
      }
    });
    stream.on('error', () => {});
  }

  private blocked(s: WorkerSlot, r: BlockedReport): void {
    if (!s.child || s.killing) return;
    const secs = (r.blockedMs / 1000).toFixed(1);
    const what = r.plugin
      ? `in plugin ${r.plugin} (instance ${r.instance}, event ${r.event}, ${r.phase ?? 'unknown'} phase)` +
        (r.others.length ? `; also entered since the loop last turned: ${r.others.join(', ')}` : '')
      : 'outside any plugin handler';
    s.killing = `was blocked for ${secs} s ${what}, beyond --max-blocked ${this.opts.maxBlockedMs / 1000} s, and was killed`;
    s.blockedRestarts++;
    // The worker cannot send its last heartbeat: the block is counted from the report.
    s.pastBlockedMs += r.blockedMs;
    this.opts.logger.error(`worker ${s.slot} (pid ${s.child.pid}) blocked for ${secs} s ${what}`);
    s.child.kill('SIGKILL');
  }

  /** Backstop for a worker whose watchdog cannot report: no heartbeat for far too long. */
  private watchBeats(): void {
    if (this.opts.maxBlockedMs <= 0) return;
    const limit = this.opts.maxBlockedMs + 3000;
    for (const s of this.slots) {
      if (!s.ready || !s.child || s.killing || Date.now() - s.lastBeat <= limit) continue;
      s.killing = `sent no heartbeat for ${Math.round((Date.now() - s.lastBeat) / 1000)} s and was killed`;
      s.blockedRestarts++;
      s.child.kill('SIGKILL');
    }
  }

  // -------------------------------------------------------------- connections

  /** Hands an accepted connection to the next ready worker, round robin. */
  private assign(socket: net.Socket): void {
    if (socket.destroyed) return;
    const n = this.slots.length;
    for (let k = 0; k < n; k++) {
      const s = this.slots[(this.next + k) % n]!;
      if (!s.ready || !s.link) continue;
      this.next = (this.next + k + 1) % n;
      if (s.link.post({ t: 'conn' }, socket)) return;
    }
    // No worker is ready (all restarting): hold the connection until one is.
    this.queued.push(socket);
  }

  // ----------------------------------------------------------------- requests

  private answer(s: WorkerSlot, body: PrimaryRequest | WorkerRequest): unknown {
    switch (body.k) {
      case 'start':
        return this.startInstance(s, body.params.Name, body.params.Config);
      case 'close':
        return this.closeInstance(body.id);
      case 'sync':
        return this.instances.get(body.id) ?? null;
      case 'server-status':
        return this.status();
      case 'set-plugin-dir':
        return this.everywhere({ k: 'set-plugin-dir', dir: body.dir }).then(
          (r) => (r[0] as string | undefined) ?? 'ok',
        );
      default:
        throw new Error(`the primary cannot answer ${body.k}`);
    }
  }

  private async startInstance(origin: WorkerSlot, name: string, config: string): Promise<InstanceInfo> {
    const id = this.ids.allocate((n) => this.instances.has(n));
    const rec: InstanceRecord = { id, name, config, startTime: Date.now() / 1000 };
    // The worker Kong asked first: an unknown plugin fails here, before anything is recorded.
    const info = await origin.link!.request({ k: 'create', rec, replica: false });
    this.instances.set(id, rec);
    // The id is valid in every worker before Kong gets it back.
    await this.everywhere({ k: 'create', rec, replica: true }, origin);
    return info;
  }

  private async closeInstance(id: number): Promise<InstanceInfo> {
    const rec = this.instances.get(id);
    if (!rec) throw new RpcCallError(RpcErrors.NoPluginInstance(id));
    this.instances.delete(id);
    const infos = (await this.everywhere({ k: 'remove', id })) as (InstanceInfo | null)[];
    return (
      infos[0] ?? {
        Name: rec.name,
        Id: rec.id,
        Config: null,
        StartTime: rec.startTime,
      }
    );
  }

  /** Sends a request to every ready worker (but `except`); a worker that dies meanwhile is skipped. */
  private async everywhere<B extends PrimaryRequest>(body: B, except?: WorkerSlot): Promise<unknown[]> {
    const targets = this.slots.filter((o) => o !== except && o.ready && o.link);
    const results = await Promise.all(
      targets.map((o) =>
        o.link!.request(body).then(
          (v) => ({ ok: true as const, v }),
          (e: unknown) => ({ ok: false as const, e }),
        ),
      ),
    );
    const rpcError = results.find((r) => !r.ok && r.e instanceof RpcCallError);
    if (rpcError && !rpcError.ok) throw rpcError.e;
    return results.map((r) => (r.ok ? r.v : null));
  }
}
