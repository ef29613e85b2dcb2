/**
 * The HTTP endpoint Prometheus scrapes: GET /metrics answers the source's text; anything else is
 * a 404. It listens on `host:port` (`:9542`, `127.0.0.1:9542`, `[::1]:9542`) or `unix:<path>`.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import { errorText } from '../log.js';

/** What the endpoint serves: one process's metrics, or a primary's aggregate of its workers. */
export interface MetricsSource {
  readonly contentType: string;
  text(): Promise<string>;
}

/** A parsed `--metrics-listen` address. */
export type MetricsAddress = { kind: 'tcp'; host: string | undefined; port: number } | { kind: 'unix'; path: string };

/** Parses `host:port`, `:port`, `[v6]:port` or `unix:<path>`; throws with the accepted forms. */
export function parseMetricsAddress(text: string): MetricsAddress {
  if (text.startsWith('unix:')) {
    const p = text.slice('unix:'.length);
    if (!p) throw new Error('unix: needs a path, e.g. unix:/run/kong/metrics.sock');
    return { kind: 'unix', path: p };
  }
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new Error(`expected host:port, :port or unix:<path>, got ${text}`);
  const host = m[1] ?? (m[2] || undefined);
  return { kind: 'tcp', host, port };
}

/** A listening metrics endpoint. */
export interface MetricsEndpoint {
  /** Where it listens: `host:port` with the actual port, or `unix:<path>`. */
  readonly address: string;
  close(): Promise<void>;
}

/** Options of {@link startMetricsEndpoint}. */
export interface MetricsEndpointOptions {
  /**
   * Readies a unix socket path before listening (the plugin server passes its own check, which
   * refuses a live server's socket and replaces a stale one). Default: remove a stale socket file.
   */
  prepareSocketPath?: (socketPath: string) => Promise<void>;
}

async function removeSocketFile(socketPath: string): Promise<void> {
  try {
    if (fs.lstatSync(socketPath).isSocket()) fs.unlinkSync(socketPath);
  } catch {
    // nothing there
  }
  return Promise.resolve();
}

/** Starts serving `source` at `listen`. */
export async function startMetricsEndpoint(
  listen: string,
  source: MetricsSource,
  options: MetricsEndpointOptions = {},
): Promise<MetricsEndpoint> {
  const address = parseMetricsAddress(listen);
  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    if (url !== '/metrics' && !url.startsWith('/metrics?')) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found: metrics are at /metrics\n');
      return;
    }
    source.text().then(
      (body) =>
        res.writeHead(200, { 'Content-Type': source.contentType }).end(req.method === 'HEAD' ? undefined : body),
      (e: unknown) =>
        res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`cannot collect metrics: ${errorText(e)}\n`),
    );
  });
  // A slow or stuck scraper must not hold sockets for long.
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  if (address.kind === 'unix') await (options.prepareSocketPath ?? removeSocketFile)(address.path);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const done = (): void => {
      server.off('error', reject);
      resolve();
    };
    if (address.kind === 'unix') server.listen(address.path, done);
    else server.listen(address.port, address.host, done);
  });
  server.unref();
  const bound = server.address();
  const shown =
    address.kind === 'unix'
      ? `unix:${address.path}`
      : typeof bound === 'object' && bound !== null
        ? `${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}`
        : listen;
  return {
    address: shown,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
        if (address.kind === 'unix') fs.rmSync(address.path, { force: true });
      }),
  };
}
