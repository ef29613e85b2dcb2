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
 */
import * as path from 'node:path';
import { createLogger, errorText, LOG_LEVELS, type LogLevel, type Logger } from '../log.js';
import { DEFAULT_SERVER_OPTIONS, type ServerOptions } from '../options.js';
import { loadPluginDir } from '../plugins/loader.js';
import type { LoadedPlugin } from '../plugins/types.js';
import { PluginServer } from '../server/server.js';
import { encode } from '@msgpack/msgpack';
import { parseFlags, usage, UsageError, type FlagSpec } from './args.js';
import { dumpableInfos, singlePluginDump } from './dump.js';
import { installShutdown } from './process.js';
import { VERSION } from './version.js';

const FLAGS: readonly FlagSpec[] = [
  {
    names: ['d', 'plugins-directory'],
    key: 'dir',
    value: true,
    arg: '<dir>',
    help: 'directory of plugins (.js, .cjs, .mjs, .ts files or packages)',
  },
  {
    names: ['p', 'kong-prefix'],
    key: 'prefix',
    value: true,
    arg: '<prefix>',
    help: 'directory of the socket (default /usr/local/kong)',
  },
  {
    names: ['sock-name'],
    key: 'sockName',
    value: true,
    arg: '<name>',
    help: 'socket file name in multi-plugin mode (default js_pluginserver.sock)',
  },
  {
    names: ['plugin'],
    key: 'plugin',
    value: true,
    arg: '<name>',
    help: 'one-plugin mode: serve only this plugin on <prefix>/<name>.socket',
  },
  {
    names: ['dump'],
    key: 'dump',
    help: 'print {"Protocol":"MsgPack:1","Plugins":[info]} for the --plugin (or the only plugin) and exit',
  },
  { names: ['dump-all-plugins'], key: 'dumpAll', help: "print a JSON array of every plugin's info and exit" },
  {
    names: ['dump-plugin-info'],
    key: 'dumpInfo',
    value: true,
    arg: '<name>',
    help: "print one plugin's info as MessagePack and exit",
  },
  { names: ['v', 'verbose'], key: 'verbose', count: true, help: 'more log lines (-v info, -v -v debug)' },
  {
    names: ['log-level'],
    key: 'logLevel',
    value: true,
    arg: '<level>',
    help: `log level: ${LOG_LEVELS.join(', ')} (default warn; -v raises it)`,
  },
  {
    names: ['event-ttl'],
    key: 'eventTtl',
    value: true,
    arg: '<seconds>',
    help: `free an event Kong stopped driving after this long (default ${DEFAULT_SERVER_OPTIONS.eventTtlMs / 1000})`,
  },
  {
    names: ['instance-idle'],
    key: 'instanceIdle',
    value: true,
    arg: '<seconds>',
    help: `forget an instance idle this long (default ${DEFAULT_SERVER_OPTIONS.instanceIdleMs / 1000})`,
  },
  {
    names: ['max-message-size'],
    key: 'maxMessage',
    value: true,
    arg: '<bytes>',
    help: `largest message accepted (default ${DEFAULT_SERVER_OPTIONS.maxMessageBytes})`,
  },
  { names: ['no-greeting'], key: 'noGreeting', help: 'do not send the serverPid notification on connect' },
  { names: ['version'], key: 'version', help: 'print the version and exit' },
  { names: ['h', 'help'], key: 'help', help: 'print this help and exit' },
];

const SUMMARY = 'Kong external plugin server (MsgPack:1) for JavaScript and TypeScript plugins.';

function positiveNumber(flag: string, v: string | boolean | number | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} needs a positive number, got ${String(v)}`);
  return n;
}

function logLevelOf(flags: Record<string, unknown>): LogLevel {
  if (flags.logLevel !== undefined) {
    const l = String(flags.logLevel);
    if (!(LOG_LEVELS as readonly string[]).includes(l))
      throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
    return l as LogLevel;
  }
  const v = (flags.verbose as number | undefined) ?? 0;
  return v >= 2 ? 'debug' : v === 1 ? 'info' : 'warn';
}

async function loadPlugins(dir: string, logger: Logger, only: string | undefined): Promise<Map<string, LoadedPlugin>> {
  const { plugins, failures } = await loadPluginDir(dir, only === undefined ? {} : { only });
  for (const f of failures) logger.error(`plugin ${f.path} failed to load: ${f.reason}`);
  return plugins;
}

/** Runs the CLI; resolves with the exit code (the server mode resolves when it is listening, with -1). */
export async function main(argv: readonly string[], out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const command = 'kong-ts-pluginserver';
  let flags: Record<string, string | boolean | number | undefined>;
  try {
    ({ flags } = parseFlags(argv, FLAGS));
    if (flags.help) {
      process.stderr.write(usage(`${command} -d <dir> [flags]`, SUMMARY, FLAGS));
      return 2;
    }
    if (flags.version) {
      out.write(`${VERSION}\n`);
      return 0;
    }
    if (typeof flags.dir !== 'string') throw new UsageError('-d/--plugins-directory is required');
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`${command}: ${e.message}\nRun '${command} --help' for the flags.\n`);
      return 2;
    }
    throw e;
  }

  let logLevel: LogLevel;
  let options: Partial<ServerOptions>;
  try {
    logLevel = logLevelOf(flags);
    const ttl = positiveNumber('--event-ttl', flags.eventTtl);
    const idle = positiveNumber('--instance-idle', flags.instanceIdle);
    const max = positiveNumber('--max-message-size', flags.maxMessage);
    options = {
      ...(ttl !== undefined ? { eventTtlMs: ttl * 1000 } : {}),
      ...(idle !== undefined ? { instanceIdleMs: idle * 1000 } : {}),
      ...(max !== undefined ? { maxMessageBytes: Math.floor(max) } : {}),
      ...(flags.noGreeting ? { greeting: false } : {}),
    };
  } catch (e) {
    process.stderr.write(`${command}: ${(e as Error).message}\n`);
    return 2;
  }
  const logger = createLogger(logLevel);
  const dir = path.resolve(flags.dir);
  const only = typeof flags.plugin === 'string' ? flags.plugin.toLowerCase() : undefined;
  let plugins: Map<string, LoadedPlugin>;
  try {
    plugins = await loadPlugins(dir, logger, only);
  } catch (e) {
    logger.error(`cannot read the plugins directory ${dir}: ${errorText(e)}`);
    return 1;
  }

  if (only !== undefined) {
    const p = plugins.get(only);
    if (!p) {
      logger.error(`plugin ${only} is not in ${dir} (found: ${[...plugins.keys()].join(', ') || 'none'})`);
      return 1;
    }
    plugins = new Map([[only, p]]);
  }

  if (flags.dumpAll) {
    out.write(JSON.stringify(dumpableInfos(plugins.values(), logger)) + '\n');
    return 0;
  }
  if (typeof flags.dumpInfo === 'string') {
    const p = plugins.get(flags.dumpInfo.toLowerCase());
    const info = p ? dumpableInfos([p], logger)[0] : undefined;
    if (!info) {
      if (!p) logger.error(`plugin ${flags.dumpInfo} is not in ${dir}`);
      return 1;
    }
    out.write(Buffer.from(encode(info)));
    return 0;
  }
  if (flags.dump) {
    if (plugins.size !== 1) {
      logger.error(`-dump needs --plugin <name> when the directory holds ${plugins.size} plugins`);
      return 1;
    }
    const info = dumpableInfos(plugins.values(), logger)[0];
    if (!info) return 1;
    out.write(singlePluginDump(info) + '\n');
    return 0;
  }

  const prefix = path.resolve(typeof flags.prefix === 'string' ? flags.prefix : '/usr/local/kong');
  const sockName =
    only !== undefined
      ? `${only}.socket`
      : typeof flags.sockName === 'string'
        ? flags.sockName
        : 'js_pluginserver.sock';
  const socketPath = path.join(prefix, sockName);
  const server = new PluginServer(plugins, dir, { ...options, logger });
  try {
    await server.listen(socketPath);
  } catch (e) {
    logger.error(`cannot listen on ${socketPath}: ${errorText(e)}`);
    return 1;
  }
  logger.info(
    `kong-ts-pluginserver ${VERSION} (pid ${process.pid}) serving ${[...plugins.keys()].join(', ') || 'no plugins'} on ${socketPath}`,
  );
  installShutdown(() => server.close(500), logger);
  return -1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      if (code >= 0) process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`kong-ts-pluginserver: ${errorText(e)}\n`);
      process.exitCode = 1;
    },
  );
}
