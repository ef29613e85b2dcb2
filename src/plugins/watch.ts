/**
 * `--watch`: reloads the plugins directory when a file in it changes, for development. The
 * reloaded plugins replace the old ones in the server's table, so every instance started after
 * the change runs the new code; events already running finish with the code they started with.
 * Idle instances of a reloaded plugin are forgotten (as idle expiry forgets them), and Kong,
 * told "No plugin instance" at its next event, starts a new one: the next request runs the new
 * code without a Kong restart. Kong reads a plugin's schema only when it starts, so a changed
 * schema still needs Kong restarted; the watcher says so.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { errorText, type Logger } from '../log.js';
import { loadPluginDir } from './loader.js';
import type { LoadedPlugin } from './types.js';

/** The parts of the server's state a reload changes (the server's `state` has them). */
export interface ReloadTarget {
  plugins: Map<string, LoadedPlugin>;
  readonly instances: {
    all(): Iterable<{ readonly id: number; readonly plugin: LoadedPlugin; readonly runningEvents: number }>;
    remove(id: number): unknown;
  };
}

/** Options of {@link watchPluginDir}. */
export interface WatchOptions {
  /** One-plugin mode: reload only this plugin. */
  only?: string;
  /** Quiet time after the last change before reloading (editors write files in several steps). */
  debounceMs?: number;
  /** How often instances still running an event are checked for retirement. */
  retireEveryMs?: number;
  /** Called after each reload, with the names reloaded (for tests and embedders). */
  onReload?: (reloaded: string[]) => void;
}

/** A running watcher. */
export interface PluginWatcher {
  /** Reloads now (what a file change triggers); resolves with the names reloaded. */
  reload(): Promise<string[]>;
  close(): void;
}

/** Editor droppings and hidden files do not trigger a reload. */
function worthReloading(file: string): boolean {
  const base = path.basename(file);
  return !base.startsWith('.') && !base.endsWith('~') && !base.endsWith('.swp') && !file.includes('node_modules');
}

/** Watches `dir` and reloads into `target` on every change. */
export function watchPluginDir(
  dir: string,
  target: ReloadTarget,
  logger: Logger,
  options: WatchOptions = {},
): PluginWatcher {
  const debounceMs = options.debounceMs ?? 100;
  const retireEveryMs = options.retireEveryMs ?? 250;
  let timer: NodeJS.Timeout | undefined;
  let retireTimer: NodeJS.Timeout | undefined;
  let running: Promise<string[]> | undefined;
  let again = false;

  /** Forgets idle instances whose plugin was replaced; returns how many stale ones still run events. */
  const retireStale = (): number => {
    let busy = 0;
    for (const inst of [...target.instances.all()]) {
      if (target.plugins.get(inst.plugin.name) === inst.plugin) continue;
      if (inst.runningEvents > 0) {
        busy++;
        continue;
      }
      target.instances.remove(inst.id);
      logger.info(`instance ${inst.id} of ${inst.plugin.name} retired: its plugin was reloaded`);
    }
    return busy;
  };

  const scheduleRetire = (): void => {
    if (retireTimer !== undefined) return;
    if (retireStale() === 0) return;
    retireTimer = setInterval(() => {
      if (retireStale() > 0) return;
      clearInterval(retireTimer);
      retireTimer = undefined;
    }, retireEveryMs);
    retireTimer.unref();
  };

  const reloadOnce = async (): Promise<string[]> => {
    const { plugins, failures } = await loadPluginDir(dir, {
      fresh: true,
      ...(options.only !== undefined ? { only: options.only } : {}),
    });
    for (const f of failures) logger.error(`plugin ${f.path} failed to reload (the previous code stays): ${f.reason}`);
    const reloaded: string[] = [];
    for (const [name, plugin] of plugins) {
      if (options.only !== undefined && name !== options.only) continue;
      const old = target.plugins.get(name);
      target.plugins.set(name, plugin);
      reloaded.push(name);
      if (old && JSON.stringify(old.schemaFields) !== JSON.stringify(plugin.schemaFields))
        logger.warn(`plugin ${name}: its schema changed; Kong reads schemas only when it starts, so restart Kong`);
    }
    // A plugin whose file is gone is no longer served; one that failed to reload keeps its code.
    for (const [name, old] of [...target.plugins]) {
      if (!plugins.has(name) && !fs.existsSync(old.path)) {
        target.plugins.delete(name);
        logger.warn(`plugin ${name} removed: ${old.path} is gone`);
      }
    }
    logger.info(`reloaded ${reloaded.join(', ') || 'no plugins'}: instances started from now on run the new code`);
    scheduleRetire();
    options.onReload?.(reloaded);
    return reloaded;
  };

  const reload = async (): Promise<string[]> => {
    // One reload at a time; a change during a reload runs one more after it.
    if (running) {
      again = true;
      return running;
    }
    running = reloadOnce();
    try {
      return await running;
    } catch (e) {
      logger.error(`reloading ${dir} failed: ${errorText(e)}`);
      return [];
    } finally {
      running = undefined;
      if (again) {
        again = false;
        void reload();
      }
    }
  };

  const watcher = fs.watch(dir, { recursive: true }, (_event, file) => {
    if (file !== null && !worthReloading(String(file))) return;
    clearTimeout(timer);
    timer = setTimeout(() => void reload(), debounceMs);
  });
  watcher.on('error', (e) => logger.error(`watching ${dir} failed: ${errorText(e)}`));
  watcher.unref();
  logger.warn(
    `watching ${dir}: changed plugins are reloaded for new instances; a changed schema still needs Kong restarted`,
  );

  return {
    reload,
    close: () => {
      clearTimeout(timer);
      clearInterval(retireTimer);
      watcher.close();
    },
  };
}
