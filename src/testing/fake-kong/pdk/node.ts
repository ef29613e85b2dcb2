/** `kong.cluster`, `kong.node`, `kong.plugin`, `kong.ip`, `kong.table`, `kong.vault`: answers not tied to the request. */
import { KongRaise, NilErr } from '../../errors.js';
import { isPlainObject, luaToString } from '../../lua.js';
import { int, str, table } from '../arguments.js';
import { isTrusted, type ImplEntry } from './impl.js';

const MEMORY_UNITS: Record<string, [number, string]> = {
  b: [1, ''],
  k: [1024, 'KiB'],
  m: [1024 * 1024, 'MiB'],
  g: [1024 * 1024 * 1024, 'GiB'],
};

/** The simulated node, plugin, ip, table and vault functions. */
export const NODE: readonly ImplEntry[] = [
  ['kong.cluster.get_id', () => '5f3a0e6c-2b1d-4c7e-9a8f-6d4b2c1e0f03'],
  ['kong.node.get_id', () => 'c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e05'],
  ['kong.node.get_hostname', () => 'kong-test'],
  [
    'kong.node.get_memory_stats',
    (_k, [unit, scale], m) => {
      const u = unit === undefined || unit === null ? 'b' : str(m, 'unit', unit).toLowerCase();
      const spec = MEMORY_UNITS[u];
      if (!spec) throw new KongRaise(`${m}: invalid unit '${String(unit)}' (expected 'k/K', 'm/M', or 'g/G')`);
      const digits = scale === undefined || scale === null ? 2 : int(m, 'scale', scale, 0, 10);
      const f = (n: number) => (u === 'b' ? n : `${(n / spec[0]).toFixed(digits)} ${spec[1]}`);
      return {
        lua_shared_dicts: {
          kong: { allocated_slabs: f(40960), capacity: f(5242880) },
          kong_db_cache: { allocated_slabs: f(794624), capacity: f(134217728) },
        },
        workers_lua_vms: [{ http_allocated_gc: f(50331648), pid: process.pid }],
      };
    },
  ],
  ['kong.plugin.get_id', (k) => k.options.pluginId],
  ['kong.ip.is_trusted', (k, [addr], m) => isTrusted(k.options.trustedIps, str(m, 'address', addr))],
  ['kong.table.new', () => []],
  ['kong.table.clear', (_k, [t], m) => void table(m, 'tab', t)],
  [
    'kong.table.merge',
    (_k, [t1, t2]) => ({
      ...(isPlainObject(t1) ? t1 : Array.isArray(t1) ? { ...t1 } : {}),
      ...(isPlainObject(t2) ? t2 : Array.isArray(t2) ? { ...t2 } : {}),
    }),
  ],
  ['kong.vault.is_reference', (_k, [ref]) => typeof ref === 'string' && /^\{vault:\/\/[^}]+\}$/.test(ref)],
  [
    'kong.vault.parse_reference',
    (_k, [ref]) => {
      const m =
        typeof ref === 'string'
          ? /^\{vault:\/\/([^/}]+)\/([^/?#}]+)(?:\/([^?#}]*))?(?:\?([^#}]*))?(?:#(\d+))?\}$/.exec(ref)
          : null;
      if (!m) return new NilErr(`not a reference (${luaToString(ref)})`);
      const config = m[4]
        ? Object.fromEntries(m[4].split('&').map((kv) => kv.split('=') as [string, string]))
        : undefined;
      return {
        name: m[1],
        resource: m[2],
        ...(m[3] ? { key: m[3] } : {}),
        ...(config ? { config } : {}),
        ...(m[5] ? { version: Number(m[5]) } : {}),
      };
    },
  ],
  [
    'kong.vault.get',
    (k, [ref], m) => {
      const r = str(m, 'reference', ref);
      const v = k.options.vault[r];
      return v ?? new NilErr(`could not get value from external vault (${r} is not in the kit's vault option)`);
    },
  ],
];
