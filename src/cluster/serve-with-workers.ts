/**
 * The CLI's multi-process mode: start the workers, listen, and shut down on SIGTERM, SIGINT or
 * the parent's death like the single-process server.
 */
import { installShutdown } from '../cli/process.js';
import { errorText, type LogFormat, type Logger, type LogLevel } from '../log.js';
import type { ServerOptions } from '../options.js';
import { ClusterPrimary } from './primary.js';
import { workerServerOptions } from './worker-options.js';

/** What the command line asked for. */
export interface WorkersRequest {
  workers: number;
  maxBlockedMs: number;
  dir: string;
  only: string | undefined;
  socketPath: string;
  logger: Logger;
  logLevel: LogLevel;
  logFormat: LogFormat;
  server: Partial<ServerOptions>;
  shutdownGraceMs: number;
}

/** Starts the primary and its workers; resolves with the served plugin names, or an exit code after an error. */
export async function serveWithWorkers(req: WorkersRequest): Promise<string[] | number> {
  const server = workerServerOptions(req.server);
  const primary = new ClusterPrimary({
    workers: req.workers,
    dir: req.dir,
    only: req.only,
    logger: req.logger,
    logLevel: req.logLevel,
    logFormat: req.logFormat,
    server,
    maxBlockedMs: req.maxBlockedMs,
  });
  let plugins: string[];
  try {
    plugins = await primary.start();
  } catch (e) {
    req.logger.error(`the workers did not start: ${errorText(e)}`);
    await primary.close(0);
    return 1;
  }
  if (req.only !== undefined && !plugins.includes(req.only)) {
    req.logger.error(`plugin ${req.only} is not in ${req.dir}`);
    await primary.close(0);
    return 1;
  }
  try {
    await primary.listen(req.socketPath);
  } catch (e) {
    req.logger.error(`cannot listen on ${req.socketPath}: ${errorText(e)}`);
    await primary.close(0);
    return 1;
  }
  installShutdown(() => primary.close(req.shutdownGraceMs), req.logger);
  return plugins;
}
