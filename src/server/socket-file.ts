/**
 * The unix socket file: where it may be created, whether an old one may be replaced, and its
 * permissions. A socket file left by a killed server is replaced; one a live server listens on
 * is not (the second server would orphan the first, which keeps running unreachable).
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';

/** A live server already listens on the socket. */
export class SocketInUseError extends Error {}

/** Resolves true when something accepts a connection on `socketPath` within `timeoutMs`. */
function answers(socketPath: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(socketPath);
    const done = (alive: boolean): void => {
      clearTimeout(timer);
      s.destroy();
      resolve(alive);
    };
    // A listener whose backlog is full does not answer at once; count it as alive.
    const timer = setTimeout(() => done(true), timeoutMs);
    s.once('connect', () => done(true));
    s.once('error', (e: NodeJS.ErrnoException) => done(e.code === 'EAGAIN'));
  });
}

/**
 * Readies `socketPath` for a new listener: its directory must exist; a stale socket file is
 * removed; anything else there, or a socket a live server answers on, is a clear error.
 */
export async function prepareSocketPath(socketPath: string, probeMs = 1000): Promise<void> {
  const dir = path.dirname(socketPath);
  if (!fs.existsSync(dir)) throw new Error(`socket directory ${dir} does not exist`);
  let st: fs.Stats;
  try {
    st = fs.lstatSync(socketPath);
  } catch {
    return;
  }
  if (!st.isSocket()) throw new Error(`${socketPath} exists and is not a socket; refusing to replace it`);
  if (await answers(socketPath, probeMs))
    throw new SocketInUseError(
      `another server is listening on ${socketPath}; stop it first (this server would take its socket and leave it running unreachable)`,
    );
  fs.unlinkSync(socketPath);
}

/**
 * Runs `bind` (which creates the socket file) under a umask that leaves exactly `mode`, so the
 * file never exists with wider permissions, then sets `mode` explicitly.
 */
export function bindWithMode<T>(mode: number, bind: () => T): T {
  const old = process.umask(0o777 & ~mode);
  let result: T;
  try {
    result = bind();
  } finally {
    process.umask(old);
  }
  return result;
}

/** Sets the socket file's mode (after the listener created it). */
export function applySocketMode(socketPath: string, mode: number): void {
  fs.chmodSync(socketPath, mode);
}
