/**
 * A Kong-like MessagePack-RPC client over a real unix socket, for tests: one request at a
 * time per connection (as Kong), notifications collected apart, replies decoded with the
 * project's streaming decoder.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RpcArgs, RpcCall, RpcMethodName, RpcResult } from '../../generated/index.js';
import { ClusterPrimary } from '../../src/cluster/primary.js';
import { workerServerOptions } from '../../src/cluster/worker-options.js';
import { createLogger, type Logger } from '../../src/log.js';
import type { ServerOptions } from '../../src/options.js';
import { loadPluginDir } from '../../src/plugins/loader.js';
import type { LoadedPlugin } from '../../src/plugins/types.js';
import { PluginServer } from '../../src/server/server.js';
import { encodeRequest, MessageDecoder } from '../../src/wire/index.js';
import { fixture } from './paths.js';
import { TEST_WORKERS } from './workers.js';

/** A decoded reply `[1, msgid, error, result]`. */
export interface Reply {
  msgid: number;
  error: string | null;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the untyped reply of the deprecated call(); rpc() is the typed path
  result: any;
}

/** One client connection. */
export class KongConnection {
  readonly notifications: unknown[] = [];
  private readonly messages: unknown[] = [];
  private waiter: (() => void) | undefined;
  private nextId = 1;
  closed = false;

  private constructor(readonly socket: net.Socket) {
    const decoder = new MessageDecoder();
    socket.on('data', (chunk) => {
      for (const r of decoder.push(chunk)) {
        if (r.kind !== 'message') throw new Error(`client could not decode the server's bytes: ${JSON.stringify(r)}`);
        const m = r.value as unknown[];
        if (Array.isArray(m) && m[0] === 2) this.notifications.push(m);
        else this.messages.push(m);
      }
      this.waiter?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiter?.();
    });
    socket.on('error', () => {});
  }

  /** Connects to a server socket. */
  static open(socketPath: string): Promise<KongConnection> {
    return new Promise((resolve, reject) => {
      const s = net.connect(socketPath, () => resolve(new KongConnection(s)));
      s.once('error', reject);
    });
  }

  /** Writes raw bytes. */
  write(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** The next non-notification message, or throws after `timeoutMs`. */
  async next(timeoutMs = 2000): Promise<unknown> {
    const deadline = Date.now() + timeoutMs;
    while (this.messages.length === 0) {
      if (this.closed) throw new Error('connection closed');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out waiting for a message');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.waiter = undefined;
    }
    return this.messages.shift();
  }

  /** Messages received and not yet read. */
  pending(): number {
    return this.messages.length;
  }

  /** Sends `[0, msgid, method, params]` and returns its reply (asserting the msgid). */
  async request(method: string, params: unknown[], msgid = this.nextId++): Promise<Reply> {
    this.write(encodeRequest(msgid, method, params));
    const m = (await this.next()) as unknown[];
    if (!Array.isArray(m) || m.length !== 4 || m[0] !== 1) throw new Error(`not a reply: ${JSON.stringify(m)}`);
    if (m[1] !== msgid) throw new Error(`reply msgid ${String(m[1])} for request ${msgid}`);
    return { msgid, error: m[2] as string | null, result: m[3] };
  }

  /** Calls `method` with its params as Kong sends them; resolves its typed result, throws on an error reply. */
  readonly rpc: RpcCall = async <M extends RpcMethodName>(method: M, ...args: RpcArgs<M>): Promise<RpcResult<M>> => {
    const r = await this.request(method, args);
    if (r.error !== null) throw new Error(`${method}: ${r.error}`);
    // The decoded reply is trusted to have the IDL's shape: the server under test generated it.
    return r.result as RpcResult<M>;
  };

  /**
   * `plugin.<method>` with one param, untyped; throws on an error reply.
   * @deprecated Use {@link rpc}, whose params and result are typed from the IDL.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- deprecated untyped helper kept for the older suites; new tests use rpc()
  async call(method: string, param?: unknown): Promise<any> {
    const r = await this.request(`plugin.${method}`, param === undefined ? [] : [param]);
    if (r.error !== null) throw new Error(`plugin.${method}: ${r.error}`);
    return r.result;
  }

  /** `plugin.<method>` with one param; returns the error text (throws if it succeeded). */
  async callError(method: string, param?: unknown): Promise<string> {
    const r = await this.request(`plugin.${method}`, param === undefined ? [] : [param]);
    if (r.error === null) throw new Error(`plugin.${method} succeeded: ${JSON.stringify(r.result)}`);
    return r.error;
  }

  /** Waits until the server closes the connection. */
  async waitClosed(timeoutMs = 2000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('connection still open');
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

/** The use of one instance, summed over the workers that have it. */
export interface InstanceUseView {
  runningEvents: number;
}

/**
 * A server on a temporary socket, loaded with test/fixtures/plugins unless told otherwise. The
 * probes read the server's state the same way whether it runs in this process or in workers.
 */
export interface TestServer {
  /** The in-process server (single-process runs only). */
  server: PluginServer | undefined;
  /** The primary (runs with workers only). */
  cluster: ClusterPrimary | undefined;
  workers: number;
  /** The plugins of the directory, loaded in this process (their infos, names, validators). */
  plugins: Map<string, LoadedPlugin>;
  socketPath: string;
  logLines: string[];
  connect(): Promise<KongConnection>;
  close(): Promise<void>;
  /** Live events. */
  events(): Promise<number>;
  /** The expiry sweeps as the server runs them, at time `now`. */
  sweep(now?: number): Promise<void>;
  /** The event TTL sweep alone; resolves with the number of events it freed. */
  sweepEvents(now: number): Promise<number>;
  /** A live instance's running events, or undefined when no worker has it. */
  instance(id: number): Promise<InstanceUseView | undefined>;
  /** Live instances. */
  instanceCount(): Promise<number>;
  /** Live instances of one plugin. */
  instanceCountOf(plugin: string): Promise<number>;
  /** A static member of a plugin's class, one value per process running it. */
  pluginStatic<T>(plugin: string, key: string): Promise<T[]>;
  /** The names of the loaded plugins. */
  pluginNames(): Promise<string[]>;
  /** Something that changes when the server's plugin set is replaced. */
  pluginSetIdentity(): Promise<unknown>;
}

/** Starts a server for a test: in this process, or with `KTS_TEST_WORKERS` worker processes. */
export async function startTestServer(
  options: Partial<ServerOptions> = {},
  dir = fixture('plugins'),
  workers = TEST_WORKERS,
  maxBlockedMs = 5000,
): Promise<TestServer> {
  const { plugins, failures } = await loadPluginDir(dir);
  if (failures.length) throw new Error(`fixture plugins failed to load: ${JSON.stringify(failures)}`);
  const logLines: string[] = [];
  const logger: Logger = options.logger ?? createLogger('debug', (l) => logLines.push(l));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kts-'));
  const socketPath = path.join(tmp, 'test.sock');
  const conns: KongConnection[] = [];
  const connect = async () => {
    const c = await KongConnection.open(socketPath);
    conns.push(c);
    return c;
  };
  if (workers <= 1) {
    const server = new PluginServer(plugins, dir, { ...options, logger });
    await server.listen(socketPath);
    const st = server.state;
    return {
      server,
      cluster: undefined,
      workers: 1,
      plugins,
      socketPath,
      logLines,
      connect,
      close: async () => {
        for (const c of conns) c.close();
        await server.close(0);
        fs.rmSync(tmp, { recursive: true, force: true });
      },
      events: async () => st.events.size,
      sweep: async (now) => server.sweep(now),
      sweepEvents: async (now) => st.events.sweep(now),
      instance: async (id) => {
        const i = st.instances.get(id);
        return i ? { runningEvents: i.runningEvents } : undefined;
      },
      instanceCount: async () => st.instances.size,
      instanceCountOf: async (name) => [...st.instances.all()].filter((i) => i.plugin.name === name).length,
      pluginStatic: async <T>(name: string, key: string) => [
        (st.plugins.get(name)!.Plugin as unknown as Record<string, unknown>)[key] as T,
      ],
      pluginSetIdentity: async () => st.plugins,
      pluginNames: async () => [...st.plugins.keys()],
    };
  }
  const cluster = new ClusterPrimary({
    workers,
    dir,
    logger,
    logLevel: 'debug',
    forwardLogs: true,
    server: workerServerOptions(options),
    maxBlockedMs,
    onPluginError: options.onPluginError,
  });
  await cluster.start();
  await cluster.listen(socketPath);
  const byInstance = async () => {
    const views = await cluster.inspect();
    const m = new Map<number, InstanceUseView>();
    for (const v of views)
      for (const u of v.instances) m.set(u.id, { runningEvents: (m.get(u.id)?.runningEvents ?? 0) + u.running });
    return m;
  };
  const events = async () => (await cluster.inspect()).reduce((n, v) => n + v.events, 0);
  return {
    server: undefined,
    cluster,
    workers,
    plugins,
    socketPath,
    logLines,
    connect,
    close: async () => {
      for (const c of conns) c.close();
      await cluster.close(0);
      fs.rmSync(tmp, { recursive: true, force: true });
    },
    events,
    sweep: (now) => cluster.sweep(now),
    sweepEvents: async (now) => {
      const before = await events();
      await cluster.sweep(now, false);
      return before - (await events());
    },
    instance: async (id) => (await byInstance()).get(id),
    instanceCount: async () => (await byInstance()).size,
    instanceCountOf: async (name) => {
      // Every worker has every instance: count the ids, by plugin, that any worker has.
      const ids = new Set<number>();
      for (const v of await cluster.inspect()) for (const u of v.instances) if (u.name === name) ids.add(u.id);
      return ids.size;
    },
    pluginNames: async () => Object.keys((await cluster.status()).Plugins),
    pluginStatic: async <T>(name: string, key: string) =>
      (await cluster.inspect(key)).map((v) => JSON.parse(v.statics[name] ?? 'null') as T),
    pluginSetIdentity: async () => JSON.stringify((await cluster.status()).Plugins, ['Name', 'LoadTime']),
  };
}

/** Starts an instance and returns its id. */
export async function startInstance(
  c: KongConnection,
  name: string,
  config: Record<string, unknown> = {},
): Promise<number> {
  const r = await c.rpc('plugin.StartInstance', { Name: name, Config: JSON.stringify(config) });
  return r.Id;
}
