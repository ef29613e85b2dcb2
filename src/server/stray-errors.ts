/**
 * Stray plugin errors — a promise rejected with no handler, an exception thrown in a timer
 * callback — reach the process, not an event. Node would exit on them and lose every event in
 * flight; this logs them, with the plugin's name when the stack names one of its files, and
 * carries on.
 */
import * as path from 'node:path';
import { errorText, type Logger } from '../log.js';
import type { ServerMeters, StrayErrorKind } from '../metrics/index.js';
import type { LoadedPlugin } from '../plugins/types.js';

/** The plugin whose file appears first in `stack`, if any. */
export function pluginOfStack(stack: string, plugins: Iterable<LoadedPlugin>): LoadedPlugin | undefined {
  let best: { plugin: LoadedPlugin; at: number } | undefined;
  for (const p of plugins) {
    // A file plugin is its entry; a package plugin is everything under its directory.
    const needles = p.path === p.entry ? [p.entry] : [p.path + path.sep];
    for (const n of needles) {
      const at = stack.indexOf(n);
      if (at >= 0 && (best === undefined || at < best.at)) best = { plugin: p, at };
    }
  }
  return best?.plugin;
}

/** What the guard needs from the server. */
export interface StrayErrorTarget {
  readonly logger: Logger;
  readonly meters: ServerMeters;
  /** The plugins loaded now (read at each error: SetPluginDir may replace them). */
  plugins(): Iterable<LoadedPlugin>;
}

/** Catches stray errors for the whole process; returns the function that removes the guard. */
export function installStrayErrorGuard(target: StrayErrorTarget): () => void {
  const report = (e: unknown, kind: StrayErrorKind): void => {
    const stack = e instanceof Error && e.stack ? e.stack : undefined;
    const plugin = stack ? pluginOfStack(stack, target.plugins()) : undefined;
    target.meters.strayError(plugin?.name, kind);
    const what = kind === 'unhandled-rejection' ? 'a promise rejection nobody handled' : 'an uncaught exception';
    const who = plugin ? `plugin ${plugin.name}` : 'code outside any event (no plugin file in its stack)';
    target.logger.error(`${what} from ${who}: ${errorText(e)}; the server keeps running`, {
      ...(plugin ? { plugin: plugin.name } : {}),
      ...(stack ? { stack } : {}),
    });
  };
  const onRejection = (reason: unknown): void => report(reason, 'unhandled-rejection');
  const onException = (e: Error): void => report(e, 'uncaught-exception');
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return () => {
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
  };
}
