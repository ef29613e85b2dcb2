/** Runs the real CLI binaries as child processes. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot } from './paths.js';
import { SERVER_WORKER_ARGS } from './workers.js';

/** The server's entry script. */
export const SERVER_BIN = path.join(repoRoot, 'bin', 'kong-ts-pluginserver');
/** The tool's entry script. */
export const TOOL_BIN = path.join(repoRoot, 'bin', 'kong-ts-pdk');

/** Runs a bin to completion: exit status, stdout as bytes and text, stderr. */
export function runBin(
  bin: string,
  args: string[],
  timeoutMs = 15000,
): { status: number | null; stdout: Buffer; text: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { timeout: timeoutMs });
  return { status: r.status, stdout: r.stdout, text: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8') };
}

/** A fresh temporary directory. */
export function tempDir(prefix = 'kts-cli-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A started server process and what it wrote to stderr. */
export interface ServerProcess {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts the server CLI (with `--workers` when the tests run with workers) and waits until `socketPath` accepts connections. */
export async function startServerProcess(
  args: string[],
  socketPath: string,
  timeoutMs = 10000,
): Promise<ServerProcess> {
  const child = spawn(process.execPath, [SERVER_BIN, ...args, ...SERVER_WORKER_ARGS], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return untilListening(child, socketPath, timeoutMs);
}

/** Collects a spawned server's stderr and waits until `socketPath` accepts connections (kills it on a timeout). */
export async function untilListening(
  child: ChildProcess,
  socketPath: string,
  timeoutMs: number,
): Promise<ServerProcess> {
  const net = await import('node:net');
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited early (${child.exitCode}): ${err}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(socketPath, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server did not listen on ${socketPath}: ${err}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return { child, stderr: () => err, exited };
}
