/**
 * Process life: exit promptly on SIGTERM/SIGINT (Kong 3.x sends SIGTERM on reload and
 * shutdown), and when the parent dies — Kong's worker 0 spawns the server, and if it is killed
 * the server must not linger holding the socket (go-pluginserver and the Python server do the same).
 */
import type { Logger } from '../log.js';

/** The parent at start-up: loading plugins and starting workers can outlast a parent that dies at once. */
const STARTING_PARENT = process.ppid;

/** Runs `shutdown` once on SIGTERM, SIGINT, or when the parent process goes away; then exits 0. */
export function installShutdown(shutdown: () => Promise<void>, logger: Logger, pollMs = 500): void {
  let stopping = false;
  const stop = (why: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info(`${why}: shutting down`);
    // A hard deadline: Kong expects the process gone within a second.
    setTimeout(() => process.exit(0), 900).unref();
    shutdown().then(
      () => process.exit(0),
      () => process.exit(0),
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  const parent = STARTING_PARENT;
  if (parent !== 1) {
    const check = (): void => {
      if (process.ppid !== parent) stop(`parent process ${parent} exited`);
    };
    check();
    const timer = setInterval(check, pollMs);
    timer.unref();
  }
}
