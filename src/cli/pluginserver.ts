/**
 * `kong-ts-pluginserver`: the plugin server Kong starts and queries.
 *
 * Multi-plugin mode (Kong 2.3–3.8, a drop-in for kong-js-pluginserver):
 *   kong-ts-pluginserver -d <dir> [-p <prefix>] [--sock-name js_pluginserver.sock]
 *   kong-ts-pluginserver -d <dir> --dump-all-plugins         (JSON array)
 *   kong-ts-pluginserver -d <dir> --dump-plugin-info <name>  (MessagePack map)
 * One-plugin mode (Kong 3.9+ defaults: socket <prefix>/<name>.socket, query `<name> -dump`):
 *   kong-ts-pluginserver -d <dir> --plugin <name> [-p <prefix>]
 *   kong-ts-pluginserver -d <dir> --plugin <name> -dump      ({"Protocol":"MsgPack:1","Plugins":[info]})
 *
 * The flags are the table in server-flags.ts; this file only runs what they ask for.
 */
import * as path from 'node:path';
import { encode } from '@msgpack/msgpack';
import { createLogger, errorText, type Logger } from '../log.js';
import { DEFAULT_CLI_OPTIONS } from '../options.js';
import { loadPluginDir } from '../plugins/loader.js';
import { watchPluginDir } from '../plugins/watch.js';
import type { LoadedPlugin } from '../plugins/types.js';
import { PluginServer } from '../server/server.js';
import { usage, UsageError } from './args.js';
import { dumpableInfos, singlePluginDump } from './dump.js';
import { installShutdown } from './process.js';
import { logLevelOf, parseServerArgs, SERVER_FLAGS, type ServerCliConfig } from './server-flags.js';
import { VERSION } from './version.js';

const COMMAND = 'kong-ts-pluginserver';
const SUMMARY = 'Kong external plugin server (MsgPack:1) for JavaScript and TypeScript plugins.';

/** The plugins the command works on: the directory's, or only the `--plugin` one (undefined: an error was logged). */
async function loadServed(
  dir: string,
  only: string | undefined,
  logger: Logger,
): Promise<Map<string, LoadedPlugin> | undefined> {
  let plugins: Map<string, LoadedPlugin>;
  try {
    const loaded = await loadPluginDir(dir, only === undefined ? {} : { only });
    for (const f of loaded.failures) logger.error(`plugin ${f.path} failed to load: ${f.reason}`);
    plugins = loaded.plugins;
  } catch (e) {
    logger.error(`cannot read the plugins directory ${dir}: ${errorText(e)}`);
    return undefined;
  }
  if (only === undefined) return plugins;
  const p = plugins.get(only);
  if (!p) {
    logger.error(`plugin ${only} is not in ${dir} (found: ${[...plugins.keys()].join(', ') || 'none'})`);
    return undefined;
  }
  return new Map([[only, p]]);
}

/** Runs a dump flag if one was given: its exit code, or undefined to go on serving. */
function runDump(
  config: ServerCliConfig,
  plugins: Map<string, LoadedPlugin>,
  dir: string,
  logger: Logger,
  out: NodeJS.WritableStream,
): number | undefined {
  if (config.dumpAll) {
    out.write(JSON.stringify(dumpableInfos(plugins.values(), logger)) + '\n');
    return 0;
  }
  if (config.dumpInfo !== undefined) {
    const p = plugins.get(config.dumpInfo.toLowerCase());
    const info = p ? dumpableInfos([p], logger)[0] : undefined;
    if (!info) {
      if (!p) logger.error(`plugin ${config.dumpInfo} is not in ${dir}`);
      return 1;
    }
    out.write(Buffer.from(encode(info)));
    return 0;
  }
  if (config.dump) {
    if (plugins.size !== 1) {
      logger.error(`-dump needs --plugin <name> when the directory holds ${plugins.size} plugins`);
      return 1;
    }
    const info = dumpableInfos(plugins.values(), logger)[0];
    if (!info) return 1;
    out.write(singlePluginDump(info) + '\n');
    return 0;
  }
  return undefined;
}

/** The socket path the flags name: `<prefix>/<plugin>.socket` in one-plugin mode, else `<prefix>/<sock-name>`. */
export function socketPathOf(config: ServerCliConfig): string {
  const prefix = path.resolve(config.kongPrefix ?? DEFAULT_CLI_OPTIONS.kongPrefix);
  const name =
    config.plugin !== undefined
      ? `${config.plugin}${DEFAULT_CLI_OPTIONS.onePluginSocketSuffix}`
      : (config.socketName ?? DEFAULT_CLI_OPTIONS.socketName);
  return path.join(prefix, name);
}

/** Runs the CLI; resolves with the exit code (the server mode resolves when it is listening, with -1). */
export async function main(argv: readonly string[], out: NodeJS.WritableStream = process.stdout): Promise<number> {
  let config: ServerCliConfig;
  try {
    config = parseServerArgs(argv);
    if (config.help) {
      // Asked for: stdout and success, so `--help | less` shows it.
      out.write(usage(`${COMMAND} -d <dir> [flags]`, SUMMARY, SERVER_FLAGS));
      return 0;
    }
    if (config.version) {
      out.write(`${VERSION}\n`);
      return 0;
    }
    if (config.pluginDir === undefined) throw new UsageError('-d/--plugins-directory is required');
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`${COMMAND}: ${e.message}\nRun '${COMMAND} --help' for the flags.\n`);
      return 2;
    }
    throw e;
  }

  const logger = createLogger(logLevelOf(config));
  const dir = path.resolve(config.pluginDir);
  const plugins = await loadServed(dir, config.plugin, logger);
  if (plugins === undefined) return 1;
  const dumped = runDump(config, plugins, dir, logger, out);
  if (dumped !== undefined) return dumped;

  const socketPath = socketPathOf(config);
  const server = new PluginServer(plugins, dir, { ...config.server, logger });
  try {
    await server.listen(socketPath);
  } catch (e) {
    logger.error(`cannot listen on ${socketPath}: ${errorText(e)}`);
    return 1;
  }
  logger.info(
    `${COMMAND} ${VERSION} (pid ${process.pid}) serving ${[...plugins.keys()].join(', ') || 'no plugins'} on ${socketPath}`,
  );
  const watcher = config.watch
    ? watchPluginDir(dir, server.state, logger, config.plugin === undefined ? {} : { only: config.plugin })
    : undefined;
  installShutdown(() => {
    watcher?.close();
    return server.close(DEFAULT_CLI_OPTIONS.shutdownGraceMs);
  }, logger);
  return -1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      if (code >= 0) process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`${COMMAND}: ${errorText(e)}\n`);
      process.exitCode = 1;
    },
  );
}
