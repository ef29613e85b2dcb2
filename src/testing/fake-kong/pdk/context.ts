/** `kong.ctx.shared`, `kong.nginx.*` and `kong.log.*`: per-request storage, nginx, logging. */
import { KongRaise } from '../../errors.js';
import { cjsonEncode, isPlainObject, luaToString } from '../../lua.js';
import { str } from '../arguments.js';
import type { SerializeMode } from '../state.js';
import type { Impl, ImplEntry } from './impl.js';

const LOG_LEVELS = ['alert', 'crit', 'err', 'warn', 'notice', 'info', 'debug'] as const;
const SERIALIZE_MODES: readonly string[] = ['set', 'add', 'replace'] satisfies SerializeMode[];

function setter(target: (k: Parameters<Impl>[0]) => Record<string, unknown>): Impl {
  return (k, [key, value], m) => {
    if (typeof key !== 'string') throw new KongRaise(`${m}: key must be a string`);
    const t = target(k);
    if (value === undefined || value === null) delete t[key];
    else t[key] = value;
    return undefined;
  };
}

/** How `kong.log.inspect` shows one argument. */
function inspectShow(a: unknown): string {
  if (typeof a === 'string') return JSON.stringify(a);
  if (a !== null && typeof a === 'object' && !Buffer.isBuffer(a)) return cjsonEncode(a);
  return luaToString(a);
}

/** The simulated ctx, nginx and log functions. */
export const CONTEXT: readonly ImplEntry[] = [
  ['kong.ctx.shared.get', (k, [key]) => (typeof key === 'string' ? k.ctxShared[key] : undefined)],
  ['kong.ctx.shared.set', setter((k) => k.ctxShared)],
  ['kong.nginx.get_ctx', (k, [key]) => (typeof key === 'string' ? k.ngxCtx[key] : undefined)],
  ['kong.nginx.set_ctx', setter((k) => k.ngxCtx)],
  ['kong.nginx.get_var', (k, [name], m) => k.nginxVar(str(m, 'variable name', name))],
  ['kong.nginx.get_subsystem', () => 'http'],
  ['kong.nginx.get_tls1_version_str', (k) => (k.request.scheme === 'https' ? k.tlsVersion : undefined)],
  ['kong.nginx.req_start_time', (k) => k.request.startTime / 1000],
  [
    'kong.nginx.get_statistics',
    () => ({
      connections_active: 1,
      connections_reading: 0,
      connections_writing: 1,
      connections_waiting: 0,
      connections_accepted: 1,
      connections_handled: 1,
      total_requests: 1,
    }),
  ],
  ...LOG_LEVELS.map((level): ImplEntry => [`kong.log.${level}`, (k, args) => void k.log(level, args)]),
  ['kong.log', (k, args) => void k.log('notice', args)],
  ['kong.log.deprecation', (k, args) => void k.log('deprecation', args)],
  [
    'kong.log.inspect',
    (k, args) => {
      if (k.inspectEnabled) k.log('inspect', args, args.map(inspectShow).join(' '));
      return undefined;
    },
  ],
  ['kong.log.inspect.on', (k) => void (k.inspectEnabled = true)],
  ['kong.log.inspect.off', (k) => void (k.inspectEnabled = false)],
  ['kong.log.serialize', (k) => cjsonEncode(k.serializeRecord())],
  [
    'kong.log.set_serialize_value',
    (k, [key, value, options], m) => {
      if (typeof key !== 'string') throw new KongRaise(`${m}: key must be a string`);
      const t = typeof value;
      if (!(t === 'number' || t === 'string' || t === 'boolean' || isPlainObject(value) || Array.isArray(value))) {
        throw new KongRaise(
          `${m}: value must be a number, string, boolean or a non-self-referencial table containing numbers, string and booleans`,
        );
      }
      let mode = 'set';
      if (options !== undefined && options !== null) {
        if (!isPlainObject(options)) throw new KongRaise(`${m}: options must be a table`);
        if (options.mode !== undefined) mode = String(options.mode);
      }
      if (!SERIALIZE_MODES.includes(mode)) throw new KongRaise(`${m}: mode must be 'set', 'add' or 'replace'`);
      k.addSerializeValue(key, value, mode as SerializeMode);
      return undefined;
    },
  ],
];
