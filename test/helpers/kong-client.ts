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
import { createLogger, type Logger } from '../../src/log.js';
import type { ServerOptions } from '../../src/options.js';
import { loadPluginDir } from '../../src/plugins/loader.js';
import { PluginServer } from '../../src/server/server.js';
import { encodeRequest, MessageDecoder } from '../../src/wire/index.js';
import { fixture } from './paths.js';

/** A decoded reply `[1, msgid, error, result]`. */
export interface Reply {
  msgid: number;
  error: string | null;
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

/** A server on a temporary socket, loaded with test/fixtures/plugins unless told otherwise. */
export interface TestServer {
  server: PluginServer;
  socketPath: string;
  logLines: string[];
  connect(): Promise<KongConnection>;
  close(): Promise<void>;
}

/** Starts an in-process server for a test. */
export async function startTestServer(
  options: Partial<ServerOptions> = {},
  dir = fixture('plugins'),
): Promise<TestServer> {
  const { plugins, failures } = await loadPluginDir(dir);
  if (failures.length) throw new Error(`fixture plugins failed to load: ${JSON.stringify(failures)}`);
  const logLines: string[] = [];
  const logger: Logger = options.logger ?? createLogger('debug', (l) => logLines.push(l));
  const server = new PluginServer(plugins, dir, { ...options, logger });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kts-'));
  const socketPath = path.join(tmp, 'test.sock');
  await server.listen(socketPath);
  const conns: KongConnection[] = [];
  return {
    server,
    socketPath,
    logLines,
    connect: async () => {
      const c = await KongConnection.open(socketPath);
      conns.push(c);
      return c;
    },
    close: async () => {
      for (const c of conns) c.close();
      await server.close(0);
      fs.rmSync(tmp, { recursive: true, force: true });
    },
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
