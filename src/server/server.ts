/**
 * The plugin server: a unix socket listener, the RPC handlers over shared state, and the
 * expiry sweeps. Embeddable (tests, the test kit) and driven by the CLI.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import type { RpcHandlers } from '../../generated/index.js';
import { errorText } from '../log.js';
import type { ServerOptions } from '../options.js';
import type { LoadedPlugin } from '../plugins/types.js';
import { serveConnection, serverPidGreeting, type ConnectionContext } from './connection.js';
import { PluginServerHandlers } from './handlers.js';
import { ServerState } from './state.js';

/** Removes a stale socket file; refuses to remove anything that is not a socket. */
export function prepareSocketPath(socketPath: string): void {
  const dir = path.dirname(socketPath);
  if (!fs.existsSync(dir)) throw new Error(`socket directory ${dir} does not exist`);
  let st: fs.Stats | undefined;
  try {
    st = fs.lstatSync(socketPath);
  } catch {
    return;
  }
  if (!st.isSocket()) throw new Error(`${socketPath} exists and is not a socket; refusing to replace it`);
  fs.unlinkSync(socketPath);
}

/** A running plugin server. */
export class PluginServer {
  readonly state: ServerState;
  readonly handlers: RpcHandlers;
  private server: net.Server | undefined;
  private socketPath: string | undefined;
  private readonly sockets = new Set<net.Socket>();
  private sweepTimer: NodeJS.Timeout | undefined;
  private readonly ctx: ConnectionContext;

  constructor(plugins: Map<string, LoadedPlugin>, pluginDir: string | undefined, options: Partial<ServerOptions> = {}) {
    this.state = new ServerState(plugins, pluginDir, options);
    this.handlers = new PluginServerHandlers(this.state);
    this.ctx = {
      handlers: this.handlers,
      logger: this.state.logger,
      maxMessageBytes: this.state.options.maxMessageBytes,
      maxMessageEntries: this.state.options.maxMessageEntries,
      greeting: this.state.options.greeting ? serverPidGreeting() : undefined,
    };
  }

  /** Listens on `socketPath` (a stale socket file there is removed first). */
  async listen(socketPath: string): Promise<void> {
    prepareSocketPath(socketPath);
    const server = net.createServer({ noDelay: true }, (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      serveConnection(socket, this.ctx);
    });
    server.on('error', (e) => this.state.logger.error(`listener error: ${errorText(e)}`));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.socketPath = socketPath;
    const every = this.state.options.sweepIntervalMs;
    this.sweepTimer = setInterval(() => this.sweep(), every);
    this.sweepTimer.unref();
  }

  /** Runs the expiry sweeps once (they also run on a timer). */
  sweep(now = Date.now()): void {
    this.state.events.sweep(now);
    this.state.instances.sweep(now);
  }

  /**
   * Stops accepting, lets running events finish for up to `graceMs`, then closes every
   * connection and removes the socket file.
   */
  async close(graceMs = 500): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    const server = this.server;
    this.server = undefined;
    const closed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    const deadline = Date.now() + graceMs;
    while (this.state.events.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    this.state.events.clear();
    for (const s of this.sockets) s.destroy();
    await closed;
    if (this.socketPath) {
      try {
        fs.unlinkSync(this.socketPath);
      } catch {
        // already gone
      }
    }
  }
}
