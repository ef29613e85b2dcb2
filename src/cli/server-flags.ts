/**
 * The flags of `kong-ts-pluginserver` as one typed table. Each entry parses its own value into
 * {@link ServerCliConfig}; server tunables go straight into `config.server` (a partial
 * {@link ServerOptions}, whose defaults live in src/options.ts). To add a flag, add one entry
 * here (and, for a new server tunable, its field and default in src/options.ts).
 */
import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from '../log.js';
import { parseMetricsAddress } from '../metrics/index.js';
import { DEFAULT_CLI_OPTIONS, DEFAULT_SERVER_OPTIONS, PLUGIN_ERROR_POLICIES, type ServerOptions } from '../options.js';
import { workerCount } from '../cluster/worker-count.js';
import { oneOf, parseInto, positiveNumber, UsageError, type TypedFlag } from './args.js';

/** What the command line asks for, before any default is applied. */
export interface ServerCliConfig {
  help: boolean;
  version: boolean;
  /** `-d`: required unless `--help`/`--version`. */
  pluginDir: string | undefined;
  kongPrefix: string | undefined;
  socketName: string | undefined;
  /** One-plugin mode: the plugin to serve (lower-cased as Kong names plugins). */
  plugin: string | undefined;
  dump: boolean;
  dumpAll: boolean;
  dumpInfo: string | undefined;
  /** `-v` repetitions. */
  verbose: number;
  /** `--watch`: reload changed plugins (development). */
  watch: boolean;
  logLevel: LogLevel | undefined;
  /** `--workers`: worker processes (1: no extra process). */
  workers: number | undefined;
  /** `--max-blocked` in ms (0: never replace a blocked worker). */
  maxBlockedMs: number | undefined;
  logFormat: LogFormat;
  /** The server's options given on the command line. */
  server: Partial<Omit<ServerOptions, 'logger' | 'onPluginError'>>;
}

/** A config with nothing given. */
export function emptyCliConfig(): ServerCliConfig {
  return {
    help: false,
    version: false,
    pluginDir: undefined,
    kongPrefix: undefined,
    socketName: undefined,
    plugin: undefined,
    dump: false,
    dumpAll: false,
    dumpInfo: undefined,
    verbose: 0,
    watch: false,
    logLevel: undefined,
    workers: undefined,
    maxBlockedMs: undefined,
    logFormat: 'text',
    server: {},
  };
}

type Flag = TypedFlag<ServerCliConfig>;

/** The value of a flag that has `arg` (the parser never calls it without one). */
function given(value: string | undefined, spelled: string): string {
  if (value === undefined) throw new UsageError(`${spelled} needs a value`);
  return value;
}

/** An octal file mode no wider than 0777, e.g. `0660` or `660`. */
function fileMode(v: string, spelled: string): number {
  if (!/^0?[0-7]{3}$/.test(v)) throw new UsageError(`${spelled} needs an octal mode such as 0660, got ${v}`);
  return parseInt(v, 8);
}

/** A `--metrics-listen` address, checked now so a typo is a usage error rather than a failed start. */
function listenAddress(v: string, spelled: string): string {
  try {
    parseMetricsAddress(v);
  } catch (e) {
    throw new UsageError(`${spelled}: ${(e as Error).message}`);
  }
  return v;
}

const seconds = (v: string | undefined, spelled: string): number => positiveNumber(given(v, spelled), spelled) * 1000;

/** Every flag of the server command, in the order `--help` lists them. */
export const SERVER_FLAGS: readonly Flag[] = [
  {
    names: ['d', 'plugins-directory'],
    arg: '<dir>',
    help: 'directory of plugins (.js, .cjs, .mjs, .ts files or packages)',
    apply: (c, v, s) => (c.pluginDir = given(v, s)),
  },
  {
    names: ['p', 'kong-prefix'],
    arg: '<prefix>',
    help: `directory of the socket (default ${DEFAULT_CLI_OPTIONS.kongPrefix})`,
    apply: (c, v, s) => (c.kongPrefix = given(v, s)),
  },
  {
    names: ['sock-name'],
    arg: '<name>',
    help: `socket file name in multi-plugin mode (default ${DEFAULT_CLI_OPTIONS.socketName})`,
    apply: (c, v, s) => (c.socketName = given(v, s)),
  },
  {
    names: ['plugin'],
    arg: '<name>',
    help: `one-plugin mode: serve only this plugin on <prefix>/<name>${DEFAULT_CLI_OPTIONS.onePluginSocketSuffix}`,
    apply: (c, v, s) => (c.plugin = given(v, s).toLowerCase()),
  },
  {
    names: ['dump'],
    help: 'print {"Protocol":"MsgPack:1","Plugins":[info]} for the --plugin (or the only plugin) and exit',
    apply: (c) => (c.dump = true),
  },
  {
    names: ['dump-all-plugins'],
    help: "print a JSON array of every plugin's info and exit",
    apply: (c) => (c.dumpAll = true),
  },
  {
    names: ['dump-plugin-info'],
    arg: '<name>',
    help: "print one plugin's info as MessagePack and exit",
    apply: (c, v, s) => (c.dumpInfo = given(v, s)),
  },
  {
    names: ['v', 'verbose'],
    help: 'more log lines (-v info, -v -v debug)',
    apply: (c) => c.verbose++,
  },
  {
    names: ['log-level'],
    arg: '<level>',
    help: `log level: ${LOG_LEVELS.join(', ')} (default ${DEFAULT_CLI_OPTIONS.logLevel}; -v raises it)`,
    apply: (c, v, s) => (c.logLevel = oneOf(LOG_LEVELS, given(v, s), s)),
  },
  {
    names: ['log-format'],
    arg: '<format>',
    help: `log line format: ${LOG_FORMATS.join(' or ')} (json: one object per line with time, level, msg, plugin, instance, event, phase)`,
    apply: (c, v, s) => (c.logFormat = oneOf(LOG_FORMATS, given(v, s), s)),
  },
  {
    names: ['metrics-listen'],
    arg: '<host:port|unix:path>',
    help: 'serve Prometheus metrics at http://<address>/metrics (off by default)',
    apply: (c, v, s) => (c.server.metricsListen = listenAddress(given(v, s), s)),
  },
  {
    names: ['on-plugin-error'],
    arg: '<policy>',
    help: `a handler that throws in rewrite/access/preread: fail-closed answers HTTP 500, continue lets the request through as kong-js-pdk did (default ${DEFAULT_SERVER_OPTIONS.pluginErrorPolicy})`,
    apply: (c, v, s) => (c.server.pluginErrorPolicy = oneOf(PLUGIN_ERROR_POLICIES, given(v, s), s)),
  },
  {
    names: ['socket-mode'],
    arg: '<octal>',
    help: `permissions of the socket file, whatever the umask (default 0${DEFAULT_SERVER_OPTIONS.socketMode.toString(8)})`,
    apply: (c, v, s) => (c.server.socketMode = fileMode(given(v, s), s)),
  },
  {
    names: ['allow-set-plugin-dir'],
    help: 'let a socket client load plugins from another directory with SetPluginDir (Kong never does)',
    apply: (c) => (c.server.allowSetPluginDir = true),
  },
  {
    names: ['event-ttl'],
    arg: '<seconds>',
    help: `free an event Kong stopped driving after this long (default ${DEFAULT_SERVER_OPTIONS.eventTtlMs / 1000})`,
    apply: (c, v, s) => (c.server.eventTtlMs = seconds(v, s)),
  },
  {
    names: ['instance-idle'],
    arg: '<seconds>',
    help: `forget an instance idle this long (default ${DEFAULT_SERVER_OPTIONS.instanceIdleMs / 1000})`,
    apply: (c, v, s) => (c.server.instanceIdleMs = seconds(v, s)),
  },
  {
    names: ['max-message-size'],
    arg: '<bytes>',
    help: `largest message accepted (default ${DEFAULT_SERVER_OPTIONS.maxMessageBytes})`,
    apply: (c, v, s) => (c.server.maxMessageBytes = Math.floor(positiveNumber(given(v, s), s))),
  },
  {
    names: ['max-message-entries'],
    arg: '<count>',
    help: `most map and array entries accepted in one message (default ${DEFAULT_SERVER_OPTIONS.maxMessageEntries})`,
    apply: (c, v, s) => (c.server.maxMessageEntries = Math.floor(positiveNumber(given(v, s), s))),
  },
  {
    names: ['no-greeting'],
    help: 'do not send the serverPid notification on connect',
    apply: (c) => (c.server.greeting = false),
  },
  {
    names: ['watch'],
    help: 'development: reload plugins when their files change; instances started after a change run the new code (a changed schema still needs Kong restarted)',
    apply: (c) => (c.watch = true),
  },
  {
    names: ['workers'],
    arg: '<n|auto>',
    help: `worker processes; auto: one per CPU; 1: one process (default ${DEFAULT_CLI_OPTIONS.workers})`,
    apply: (c, v, s) => {
      const n = workerCount(given(v, s));
      if (n === undefined) throw new UsageError(`${s} needs a positive integer or auto, got ${String(v)}`);
      c.workers = n;
    },
  },
  {
    names: ['max-blocked'],
    arg: '<seconds>',
    help: `replace a worker whose event loop stays blocked this long; 0: never (default ${DEFAULT_CLI_OPTIONS.maxBlockedMs / 1000})`,
    apply: (c, v, s) => {
      const n = Number(given(v, s));
      if (!Number.isFinite(n) || n < 0) throw new UsageError(`${s} needs a number of seconds, got ${String(v)}`);
      c.maxBlockedMs = n * 1000;
    },
  },
  { names: ['version'], help: 'print the version and exit', apply: (c) => (c.version = true) },
  { names: ['h', 'help'], help: 'print this help and exit', apply: (c) => (c.help = true) },
];

/** Parses the server command's argv (throws {@link UsageError}). Positional arguments are ignored, as before. */
export function parseServerArgs(argv: readonly string[]): ServerCliConfig {
  const config = emptyCliConfig();
  parseInto(argv, SERVER_FLAGS, config);
  return config;
}

/** The log level the flags ask for: `--log-level`, else one step per `-v` from the default. */
export function logLevelOf(config: ServerCliConfig): LogLevel {
  if (config.logLevel !== undefined) return config.logLevel;
  if (config.verbose >= 2) return 'debug';
  if (config.verbose === 1) return 'info';
  return DEFAULT_CLI_OPTIONS.logLevel;
}
