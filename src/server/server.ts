/**
 * The plugin server: a unix socket listener, the RPC handlers over shared state, the expiry
 * sweeps and, when asked, the metrics endpoint. Embeddable (tests, the test kit) and driven by
 * the CLI.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import type { RpcHandlers } from '../../generated/index.js';
import { errorText } from '../log.js';
import { startMetricsEndpoint, type MetricsEndpoint, type ServerMetrics } from '../metrics/index.js';
import type { ServerOptions } from '../options.js';
import type { LoadedPlugin } from '../plugins/types.js';
import { serveConnection, serverPidGreeting, type ConnectionContext } from './connection.js';
import { PluginServerHandlers } from './handlers.js';
import { MemoryReleaser } from './memory-release.js';
import { applySocketMode, bindWithMode, prepareSocketPath } from './socket-file.js';
import { ServerState } from './state.js';
import { installStrayErrorGuard } from './stray-errors.js';

export { prepareSocketPath, SocketInUseError } from './socket-file.js';

/** A running plugin server. */
export class PluginServer {
  readonly state: ServerState;
  handlers: RpcHandlers;
  private server: net.Server | undefined;
  private socketPath: string | undefined;
  private readonly sockets = new Set<net.Socket>();
  private sweepTimer: NodeJS.Timeout | undefined;
  private ctx: ConnectionContext;
  private endpoint: MetricsEndpoint | undefined;
  private readonly releaser = new MemoryReleaser();

  constructor(plugins: Map<string, LoadedPlugin>, pluginDir: string | undefined, options: Partial<ServerOptions> = {}) {
    this.state = new ServerState(plugins, pluginDir, options);
    this.handlers = new PluginServerHandlers(this.state);
    this.ctx = {
      handlers: this.handlers,
      logger: this.state.logger,
      warnings: this.state.warnings,
      meters: this.state.meters,
      maxMessageBytes: this.state.options.maxMessageBytes,
      maxMessageEntries: this.state.options.maxMessageEntries,
      greeting: this.state.options.greeting ? serverPidGreeting(this.state.options.serverPid) : undefined,
    };
  }

  /**
   * Puts `wrap(handlers)` between the connections and the handlers (a worker of a multi-process
   * server routes instance changes through its primary and Steps to the worker owning the event).
   */
  wrapHandlers(wrap: (base: RpcHandlers) => RpcHandlers): void {
    this.handlers = wrap(this.handlers);
    this.ctx = { ...this.ctx, handlers: this.handlers };
  }

  /** The metrics of this server (undefined when metrics are off). */
  get metrics(): ServerMetrics | undefined {
    return this.state.metrics;
  }

  /** Where the metrics endpoint listens (`host:port` or `unix:<path>`), once listening. */
  get metricsAddress(): string | undefined {
    return this.endpoint?.address;
  }

  /**
   * Listens on `socketPath` with the configured mode. A stale socket file there is replaced;
   * a live server's socket is an error ({@link SocketInUseError}).
   */
  async listen(socketPath: string): Promise<void> {
    const { options, logger } = this.state;
    await prepareSocketPath(socketPath);
    const server = net.createServer({ noDelay: true }, (socket) => this.serveSocket(socket));
    server.on('error', (e) => logger.error(`listener error: ${errorText(e)}`));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      bindWithMode(options.socketMode, () =>
        server.listen({ path: socketPath, backlog: options.listenBacklog }, () => {
          server.off('error', reject);
          resolve();
        }),
      );
    });
    applySocketMode(socketPath, options.socketMode);
    this.server = server;
    this.socketPath = socketPath;
    if (options.metricsListen !== undefined && this.state.metrics) {
      try {
        this.endpoint = await startMetricsEndpoint(options.metricsListen, this.state.metrics, {
          prepareSocketPath: (p) => prepareSocketPath(p),
        });
      } catch (e) {
        await this.close(0);
        throw new Error(`cannot serve metrics on ${options.metricsListen}: ${errorText(e)}`, { cause: e });
      }
      logger.info(`metrics at http://${this.endpoint.address}/metrics`);
    }
    this.startSweeps();
  }

  /**
   * Serves a connection accepted elsewhere (a worker of a multi-process server gets its
   * connections from the primary, which holds the listening socket).
   */
  serveSocket(socket: net.Socket): void {
    this.sockets.add(socket);
    this.state.meters.connectionOpened();
    socket.on('close', () => {
      this.sockets.delete(socket);
      this.state.meters.connectionClosed();
    });
    serveConnection(socket, this.ctx);
  }

  /** Starts the periodic expiry sweeps (listen does; a server without a listener calls it itself). */
  startSweeps(): void {
    if (this.sweepTimer) return;
    this.sweepTimer = setInterval(() => this.sweep(), this.state.options.sweepIntervalMs);
    this.sweepTimer.unref();
  }

  /**
   * Keeps the process alive through stray plugin errors (unhandled rejections, exceptions in
   * timers): logged with the plugin's name when known, counted in the metrics. For a process that
   * is this server (the CLI); an embedder decides for itself. Returns the function that undoes it.
   */
  catchStrayErrors(): () => void {
    const { state } = this;
    return installStrayErrorGuard({
      logger: state.logger,
      meters: state.meters,
      plugins: () => state.plugins.values(),
    });
  }

  /** Runs the expiry sweeps once (they also run on a timer). */
  sweep(now = Date.now()): void {
    const freed = this.state.events.sweep(now);
    this.releaser.noteFreed(freed, this.state.events.size, now);
    this.state.instances.sweep(now);
  }

  /**
   * Stops accepting, lets running events finish for up to `graceMs`, then closes every
   * connection and removes the socket file.
   */
  async close(graceMs = 500): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    this.releaser.stop();
    const server = this.server;
    this.server = undefined;
    const closed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    const deadline = Date.now() + graceMs;
    while (this.state.events.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    this.state.events.clear();
    for (const s of this.sockets) s.destroy();
    await closed;
    const endpoint = this.endpoint;
    this.endpoint = undefined;
    await endpoint?.close();
    this.state.warnings.flushAll();
    if (this.socketPath) {
      try {
        fs.unlinkSync(this.socketPath);
      } catch {
        // already gone
      }
    }
  }
}
