/**
 * The entry point of a worker process (forked by the primary, never started by hand). It loads
 * the plugins, creates every live instance under the primary's ids, serves the Kong connections
 * the primary hands it, and answers Steps of its own events from the other workers.
 */
import * as fs from 'node:fs';
import type * as net from 'node:net';
import type { EventReply } from '../../generated/index.js';
import { IdAllocator } from '../ids.js';
import type { PluginErrorReport } from '../options.js';
import { createLogger, errorText, LOG_LEVELS, type LogContext, type Logger, type LogLevel } from '../log.js';
import { loadPluginDir } from '../plugins/loader.js';
import { PluginServer } from '../server/server.js';
import { IpcLink } from './ipc-link.js';
import type { ChannelMessage, PrimaryRequest, WorkerCounters, WorkerInit, WorkerRequest } from './messages.js';
import { StepRouter } from './step-router.js';
import { Watchdog } from './watchdog.js';
import { ClusterWorkerHandlers } from './worker-handlers.js';

/** The fd of the pipe the watchdog thread reports on (stdio slot 4 of the fork). */
export const REPORT_FD = 4;
const BEAT_MS = 200;

/** A logger that hands every record to the primary (which writes it with its own logger). */
function forwardingLogger(level: LogLevel, link: () => IpcLink | undefined): Logger {
  const max = LOG_LEVELS.indexOf(level);
  const at = (l: LogLevel) =>
    LOG_LEVELS.indexOf(l) <= max
      ? (msg: string, context?: LogContext) => void link()?.post({ t: 'log', level: l, msg, context })
      : () => {};
  return {
    error: at('error'),
    warn: at('warn'),
    info: at('info'),
    debug: at('debug'),
    enabled: (l) => LOG_LEVELS.indexOf(l) <= max,
  };
}

/**
 * The worker's logger: its slot before every message, and silenced for a moment while it creates
 * a replica of an instance (the worker Kong asked logs the start, and why it cannot run).
 */
function workerLogger(inner: Logger, tag: string): Logger & { muted: boolean } {
  const m = {
    muted: false,
    error: (msg: string, c?: LogContext) => m.muted || inner.error(tag + msg, c),
    warn: (msg: string, c?: LogContext) => m.muted || inner.warn(tag + msg, c),
    info: (msg: string, c?: LogContext) => m.muted || inner.info(tag + msg, c),
    debug: (msg: string, c?: LogContext) => m.muted || inner.debug(tag + msg, c),
    enabled: (l: LogLevel) => !m.muted && inner.enabled(l),
  };
  return m;
}

/** Cleans up after the primary's death (set once the worker runs). */
let onPrimaryGone = (): void => {};

/** What the worker does with messages once it runs. */
interface Routes {
  other(m: ChannelMessage, socket: net.Socket | undefined): void;
  request(body: PrimaryRequest | WorkerRequest): unknown;
}

async function run(init: WorkerInit, link: IpcLink, routes: Routes): Promise<void> {
  // Forwarded records get their tag from the primary's logger (tests and embedders).
  const logger = init.forwardLogs
    ? workerLogger(
        forwardingLogger(init.logLevel, () => link),
        '',
      )
    : workerLogger(createLogger(init.logLevel, undefined, { format: init.logFormat }), `worker ${init.slot}: `);
  const { plugins, failures } = await loadPluginDir(init.dir, init.only === undefined ? {} : { only: init.only });
  // Load failures are the same in every worker: the first worker of slot 0 reports them.
  if (init.generation === 0 && init.slot === 0)
    for (const f of failures) logger.error(`plugin ${f.path} failed to load: ${f.reason}`);
  const served = init.only !== undefined ? new Map([...plugins].filter(([n]) => n === init.only)) : plugins;
  const watchdog = new Watchdog();
  const server = new PluginServer(served, init.dir, {
    logger,
    ...init.server,
    // The primary greets (at accept); idle expiry is the primary's decision (an instance is idle only when idle in every worker).
    greeting: false,
    instanceIdleMs: Number.MAX_SAFE_INTEGER,
    serverPid: init.serverPid,
    eventIds: new IdAllocator(init.eventIdStart, init.slots),
    onPluginEnter: watchdog.enter,
    ...(init.reportPluginErrors
      ? { onPluginError: (report: PluginErrorReport) => void link.post({ t: 'plugin-error', report }) }
      : {}),
  });
  const base = server.handlers;
  const router: StepRouter = new StepRouter(
    init.slot,
    init.runDir,
    logger,
    (method, params): EventReply | Promise<EventReply> => h.localStep(method, params),
    init.server.maxMessageBytes,
  );
  const h: ClusterWorkerHandlers = new ClusterWorkerHandlers(base, server.state, link, router, init.slot, init.slots, {
    ranges: init.lostRanges,
    until: init.lostRangesUntil,
  });
  server.wrapHandlers(() => h);
  for (const rec of init.instances) {
    try {
      logger.muted = true;
      await h.createInstance(rec);
    } catch (e) {
      logger.muted = false;
      logger.error(`cannot re-create instance ${rec.id} of ${rec.name}: ${errorText(e)}`);
    } finally {
      logger.muted = false;
    }
  }
  await router.listen();
  server.startSweeps();

  const counters = (): WorkerCounters => ({
    events: server.state.events.size,
    forwardedSteps: router.forwarded,
    blockedMs: watchdog.blockedMs,
    nextEventId: server.state.events.nextIdHint(),
  });
  setInterval(() => link.post({ t: 'beat', counters: counters() }), BEAT_MS).unref();

  onPrimaryGone = () => {
    router.close();
    try {
      fs.rmdirSync(init.runDir);
    } catch {
      // another worker's socket is still there; the last one removes the directory
    }
  };
  routes.other = (m, socket) => {
    if (m.t === 'conn' && socket) server.serveSocket(socket);
    else if (m.t === 'slot') router.setSlot(m.slot, m.up);
    else if (m.t === 'slots') for (let k = 0; k < init.slots; k++) router.setSlot(k, !m.down.includes(k));
    else if (m.t === 'stop') {
      router.close();
      server.close(m.graceMs).then(
        () => process.exit(0),
        () => process.exit(0),
      );
    }
  };
  routes.request = async (body) => {
    switch (body.k) {
      case 'create':
        // Only the worker Kong asked logs the instance's start (and why it cannot run).
        logger.muted = body.replica;
        try {
          return await h.createInstance(body.rec);
        } finally {
          logger.muted = false;
        }
      case 'remove':
        return h.removeInstance(body.id);
      case 'sweep':
        server.sweep(body.now);
        return h.usage();
      case 'status':
        return { status: await base.GetStatus(), counters: counters() };
      case 'inspect': {
        const statics: Record<string, string> = {};
        if (body.statics !== undefined)
          for (const p of server.state.plugins.values())
            statics[p.name] = JSON.stringify((p.Plugin as unknown as Record<string, unknown>)[body.statics]) ?? 'null';
        return { pid: process.pid, events: server.state.events.size, instances: h.usage(), statics };
      }
      case 'set-plugin-dir':
        return base.SetPluginDir(body.dir);
      case 'metrics':
        return server.metrics ? server.metrics.json() : [];
      default:
        throw new Error(`a worker cannot answer ${body.k}`);
    }
  };
  link.post({ t: 'ready', plugins: [...served.keys()] });
  // The thread starts once the worker serves: a replacement is not kept waiting for it.
  watchdog.start([...served.keys()], init.maxBlockedMs, REPORT_FD, (e) =>
    logger.error(`the watchdog thread stopped: ${errorText(e)}`),
  );
}

/** Waits for the primary's init message, then runs; exits when the primary goes away. */
function main(): void {
  // Signals to the process group (Ctrl-C) are the primary's to handle: it stops the workers.
  process.on('SIGINT', () => {});
  const routes: Routes = {
    other: (m) => {
      if (m.t !== 'init') return;
      run(m.init, link, routes).catch((e: unknown) => {
        link.post({ t: 'failed', error: errorText(e) });
        process.exit(1);
      });
    },
    request: () => {
      throw new Error('the worker is still starting');
    },
  };
  const link: IpcLink = new IpcLink(
    process,
    (body) => routes.request(body),
    (m, socket) => routes.other(m, socket),
  );
  // The primary is gone (even killed outright): remove this worker's peer socket, and the
  // directory once the last worker has, then go.
  process.on('disconnect', () => {
    onPrimaryGone();
    process.exit(0);
  });
}

if (require.main === module) main();
