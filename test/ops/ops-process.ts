/** Helpers of the operations tests: the real server CLI under a chosen umask, HTTP over a unix socket, scrape parsing. */
import { spawn } from 'node:child_process';
import * as http from 'node:http';
import * as path from 'node:path';
import { SERVER_BIN, tempDir, untilListening, type ServerProcess } from '../helpers/cli.js';
import { fixture } from '../helpers/paths.js';

/** The plugins of the operations tests (well-behaved, faulty, metered). */
export const OPS_PLUGINS = fixture('ops-plugins');

/** Starts the server CLI (through /bin/sh, with `umask`) and waits until its socket accepts. */
export async function startCli(
  args: string[],
  socketPath: string,
  opts: { umask?: string; timeoutMs?: number } = {},
): Promise<ServerProcess> {
  const quoted = [process.execPath, SERVER_BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const child = spawn('/bin/sh', ['-c', `umask ${opts.umask ?? '022'}; exec ${quoted}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return untilListening(child, socketPath, opts.timeoutMs ?? 10_000);
}

/** A fresh prefix directory and the multi-plugin socket path in it. */
export function freshPrefix(): { prefix: string; socket: string } {
  const prefix = tempDir('kts-ops-');
  return { prefix, socket: path.join(prefix, 'js_pluginserver.sock') };
}

/** Stops a server process with SIGTERM and waits for it. */
export async function stop(srv: ServerProcess): Promise<void> {
  if (srv.child.exitCode === null && srv.child.signalCode === null) srv.child.kill('SIGTERM');
  await srv.exited;
}

/** GET over a unix socket: status and body. */
export function httpGetUnix(
  socketPath: string,
  urlPath: string,
): Promise<{ status: number; body: string; type: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ socketPath, path: urlPath }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, type: String(res.headers['content-type']) }));
    });
    req.on('error', reject);
  });
}

/** One sample of a Prometheus text scrape. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the samples of a Prometheus text scrape (comments skipped). */
export function parseScrape(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** The value of the one sample named `name` whose labels include `labels` (throws if none or several). */
export function sampleValue(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found.length !== 1) throw new Error(`${found.length} samples of ${name}${JSON.stringify(labels)}`);
  return found[0]!.value;
}
