/**
 * The config schema of a plugin module that exports no `Schema`, in this order:
 *
 *  1. a sidecar `<file minus extension>.schema.json` next to it (written by
 *     `kong-ts-pdk schema --write`): the config fields of its `kong` part;
 *  2. for a TypeScript plugin (`.ts`, `.cts`, `.mts`), the schema derived from its config type,
 *     cached on disk under the sha256 of the source in `os.tmpdir()/kong-ts-pdk-schema-cache`
 *     (or `$KONG_TS_PDK_SCHEMA_CACHE`). A cache entry also records the sha256 of the other
 *     local, non-declaration files the type checker read (a config type imported from
 *     `./types.ts`) and is ignored when one of them changed. On a cache miss the derivation
 *     runs in a child process (src/authoring/schema-derivation-process.ts): it needs ts-morph
 *     and TypeScript, which the server process never loads;
 *  3. otherwise no fields (a JavaScript plugin, or a TypeScript plugin with no config type).
 *
 * A TypeScript config type that cannot be mapped (an unsupported type, a bad tag) fails the
 * plugin's load with the reason: a plugin Kong would get a wrong schema for must not load.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { withoutPluginExtension, isTypeScriptFile } from '../plugins/plugin-file.js';
import { configFieldsOf } from './kong-to-json-schema.js';

/** Environment variable overriding the derived-schema cache directory. */
export const SCHEMA_CACHE_ENV = 'KONG_TS_PDK_SCHEMA_CACHE';

// Bump when derivation changes its output, so older cache entries are not used.
const CACHE_FORMAT = 1;

/** Counters for tests and diagnostics. */
export const implicitSchemaStats = { sidecar: 0, cacheHits: 0, derived: 0 };

/** The derived-schema cache directory. */
export function schemaCacheDir(): string {
  return process.env[SCHEMA_CACHE_ENV] || path.join(os.tmpdir(), 'kong-ts-pdk-schema-cache');
}

/** `<file minus extension>.schema.json`. */
export function sidecarPath(file: string): string {
  return `${withoutPluginExtension(file)}.schema.json`;
}

/** What the derivation process writes on stdout: the config fields, or why there are none. */
export type DerivationReply =
  | { ok: true; configTypeName: string; fields: unknown[]; dependencies: string[] }
  | { ok: false; code: string; message: string };

/** The derivation process's script (compiled beside this module's folder). */
export const DERIVATION_PROCESS = path.join(__dirname, '..', 'authoring', 'schema-derivation-process.js');

// Deriving reads the plugin and its local imports with the type checker: seconds at worst.
const DERIVATION_TIMEOUT_MS = 60_000;

interface CacheEntry {
  format: number;
  configTypeName: string | null;
  fields: unknown[];
  dependencies: { path: string; sha256: string }[];
}

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function readSidecar(file: string): unknown[] {
  let doc: unknown;
  try {
    doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`, { cause: e });
  }
  const fields = configFieldsOf((doc as { kong?: unknown } | null)?.kong);
  if (!fields)
    throw new Error(
      `${file}: expected {"kong": {"name": …, "fields": [{"config": {"type": "record", "fields": […]}}]}} as written by kong-ts-pdk schema --write`,
    );
  return fields;
}

function cacheFile(source: Buffer): string {
  return path.join(schemaCacheDir(), `v${CACHE_FORMAT}-${sha256(source)}.json`);
}

function readCache(file: string): CacheEntry | undefined {
  try {
    const entry = JSON.parse(fs.readFileSync(file, 'utf8')) as CacheEntry;
    if (entry.format !== CACHE_FORMAT || !Array.isArray(entry.fields)) return undefined;
    for (const d of entry.dependencies) {
      if (!fs.existsSync(d.path) || sha256(fs.readFileSync(d.path)) !== d.sha256) return undefined;
    }
    return entry;
  } catch {
    return undefined;
  }
}

function writeCache(file: string, entry: CacheEntry): void {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(entry));
    fs.renameSync(tmp, file);
  } catch {
    // A read-only or full temp directory only costs the next start a derivation.
  }
}

/** Runs the derivation process on `file` and parses its reply. */
function deriveInChildProcess(file: string): DerivationReply {
  const r = spawnSync(process.execPath, [DERIVATION_PROCESS, file], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: DERIVATION_TIMEOUT_MS,
  });
  if (r.error) throw new Error(`cannot derive its config schema: ${r.error.message}`);
  if (r.status !== 0) {
    const why = r.stderr.trim().split('\n').slice(-3).join(' ') || `exit status ${r.status ?? r.signal}`;
    throw new Error(`cannot derive its config schema: the derivation process failed: ${why}`);
  }
  try {
    return JSON.parse(r.stdout) as DerivationReply;
  } catch {
    throw new Error(`cannot derive its config schema: the derivation process wrote no reply`);
  }
}

/** The derived config fields of a TypeScript plugin file (through the cache). */
export function derivedSchemaFields(file: string): unknown[] {
  const source = fs.readFileSync(file);
  const cached = cacheFile(source);
  const hit = readCache(cached);
  if (hit) {
    implicitSchemaStats.cacheHits++;
    return hit.fields;
  }
  implicitSchemaStats.derived++;
  const reply = deriveInChildProcess(file);
  let entry: CacheEntry;
  if (reply.ok) {
    entry = {
      format: CACHE_FORMAT,
      configTypeName: reply.configTypeName,
      fields: reply.fields,
      dependencies: reply.dependencies.map((p) => ({ path: p, sha256: sha256(fs.readFileSync(p)) })),
    };
  } else if (reply.code === 'NO_CONFIG_TYPE') {
    entry = { format: CACHE_FORMAT, configTypeName: null, fields: [], dependencies: [] };
  } else {
    throw new Error(
      `cannot derive its config schema from TypeScript: ${reply.message} (export a Schema, or fix the type)`,
    );
  }
  writeCache(cached, entry);
  return entry.fields;
}

/** The config fields of a plugin whose module exports no `Schema` (see the module comment). */
export function implicitSchemaFields(entry: string): unknown[] {
  const sidecar = sidecarPath(entry);
  if (fs.existsSync(sidecar)) {
    implicitSchemaStats.sidecar++;
    return readSidecar(sidecar);
  }
  if (isTypeScriptFile(entry)) return derivedSchemaFields(entry);
  return [];
}
