/** The server options a worker process can receive: everything but hooks and this process's own objects. */
import { DEFAULT_SERVER_OPTIONS, type ServerOptions } from '../options.js';
import type { WorkerServerOptions } from './messages.js';

/** Keys that belong to one process (a logger, hooks, an id allocator): never sent to a worker. */
const PROCESS_LOCAL: ReadonlySet<string> = new Set([
  'logger',
  'onPluginError',
  'serverPid',
  'eventIds',
  'onPluginEnter',
]);

/** The defaults with `given` applied, minus what cannot cross to another process. */
export function workerServerOptions(given: Partial<ServerOptions>): WorkerServerOptions {
  const out: WorkerServerOptions = { ...DEFAULT_SERVER_OPTIONS };
  for (const [k, v] of Object.entries(given)) {
    if (PROCESS_LOCAL.has(k) || typeof v === 'function' || v === undefined) continue;
    Object.assign(out, { [k]: v });
  }
  return out;
}
