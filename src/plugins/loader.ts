/**
 * Loads the plugins of a directory: kong-js-pdk modules (`module.exports = { Plugin, Name?,
 * Version, Priority, Schema }`) as `.js`, `.cjs`, `.mjs` or `.ts` files, or directories with a
 * package.json `main`. A plugin that fails to load is reported with its path and reason and
 * the others still load.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { PHASES, type Phase } from '../../generated/index.js';
import { errorText } from '../log.js';
import { implicitSchemaFields } from '../schema/implicit-schema.js';
import { RAW_BODY_MODES, type RawBodyMode } from './module-types.js';
import { installEsmPackageSelfResolution, installPackageSelfResolution } from './package-self-resolution.js';
import { isTestFile, PLUGIN_EXTENSIONS as EXTENSIONS, pluginBaseName, withoutPluginExtension } from './plugin-file.js';
import { syntaxErrorReason } from './syntax-error-location.js';
import { registerTypeScriptLoader } from './typescript-loader.js';
import type { LoadedPlugin, PluginClass, PluginModuleExports } from './types.js';

/** A plugin file or directory that could not be loaded. */
export interface LoadFailure {
  path: string;
  reason: string;
}

/** The outcome of loading a directory. */
export interface LoadResult {
  plugins: Map<string, LoadedPlugin>;
  failures: LoadFailure[];
}

function isReadableDir(dir: string): boolean {
  try {
    fs.accessSync(dir, fs.constants.R_OK | fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The entries of `dir` that look like plugins, byte-wise sorted (the order kong-js-pdk dumps in). */
export function pluginEntries(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => {
      if (e.name.startsWith('.') || e.name === 'node_modules') return false;
      if (e.isDirectory())
        return (
          // An unreadable directory is listed so that loading it reports why, not skipped unseen.
          !isReadableDir(path.join(dir, e.name)) ||
          fs.existsSync(path.join(dir, e.name, 'package.json')) ||
          EXTENSIONS.some((x) => fs.existsSync(path.join(dir, e.name, `index${x}`)))
        );
      return EXTENSIONS.includes(path.extname(e.name)) && !e.name.endsWith('.d.ts') && !isTestFile(e.name);
    })
    .map((e) => e.name)
    .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

/** How a plugin is loaded. */
export interface LoadOptions {
  /**
   * Load the current code even if the module was loaded before (--watch): CommonJS and
   * TypeScript modules under the plugin's directory are dropped from require's cache first; an
   * ES module entry is imported under a new URL (the modules it imports stay cached).
   */
  fresh?: boolean;
}

let esmGeneration = 0;

function importEsm(file: string, fresh: boolean): Promise<unknown> {
  // Before the import: a module's failed resolution stays cached, so no retry could fix it.
  installEsmPackageSelfResolution();
  const url = pathToFileURL(file);
  // ES modules cannot be unloaded: a new query string makes a new module.
  if (fresh) url.search = `reload=${++esmGeneration}`;
  return import(url.href);
}

/** Drops every cached CommonJS/TypeScript module under `dir`, so the next require reads the files again. */
export function forgetModulesUnder(dir: string): number {
  const prefix = dir.endsWith(path.sep) ? dir : dir + path.sep;
  let n = 0;
  for (const key of Object.keys(require.cache)) {
    if (key.startsWith(prefix) && !key.includes(`${path.sep}node_modules${path.sep}`)) {
      delete require.cache[key];
      n++;
    }
  }
  return n;
}

/**
 * Source maps on for plugin code, once: a `.ts` plugin's stack traces then name its own lines
 * (the transform inlines a map), as do compiled plugins that ship maps. Modules loaded before,
 * the server's own, are not affected.
 */
function enablePluginSourceMaps(): void {
  if (!process.sourceMapsEnabled) process.setSourceMapsEnabled(true);
}

async function importModule(file: string, fresh: boolean): Promise<unknown> {
  installPackageSelfResolution();
  enablePluginSourceMaps();
  const ext = path.extname(file);
  if (ext === '.ts' || ext === '.cts' || ext === '.mts') registerTypeScriptLoader();
  if (ext === '.mjs') return importEsm(file, fresh);
  try {
    return require(file) as unknown;
  } catch (e) {
    // An ES module behind a .js name (package "type": "module").
    if ((e as NodeJS.ErrnoException).code === 'ERR_REQUIRE_ESM') return importEsm(file, fresh);
    throw e;
  }
}

function moduleExports(mod: unknown): PluginModuleExports {
  const m = mod as Record<string, unknown> | null;
  if (m && typeof m === 'object') {
    if (typeof m.Plugin === 'function') return m as unknown as PluginModuleExports;
    const d = m.default as Record<string, unknown> | undefined;
    if (d && typeof d === 'object' && typeof d.Plugin === 'function') return d as unknown as PluginModuleExports;
  }
  throw new Error('exports no Plugin class (expected module.exports = { Plugin, Version, Priority, Schema })');
}

function resolveEntry(full: string): string {
  if (!fs.statSync(full).isDirectory()) return full;
  // Throws EACCES with the path when the directory cannot be read.
  fs.readdirSync(full);
  const pkgFile = path.join(full, 'package.json');
  if (fs.existsSync(pkgFile)) {
    const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8')) as { main?: string };
    if (pkg.main) return require.resolve(path.resolve(full, pkg.main));
  }
  for (const x of EXTENSIONS) {
    const candidate = path.join(full, `index${x}`);
    if (fs.existsSync(candidate)) return candidate;
  }
  throw new Error('directory has neither a package.json "main" nor an index file');
}

/**
 * The `RawBodies` export as a mode: absent means a kong-js-pdk module, which must keep getting
 * what kong-js-pdk gives it; a value that is no mode is refused rather than guessed at.
 */
export function rawBodyModeOf(exports: { RawBodies?: unknown }): RawBodyMode {
  const v = exports.RawBodies;
  if (v === undefined) return 'kong-js-pdk';
  const mode = RAW_BODY_MODES.find((m) => m === v);
  if (mode === undefined)
    throw new Error(`RawBodies must be ${RAW_BODY_MODES.map((m) => `'${m}'`).join(' or ')}, not ${JSON.stringify(v)}`);
  return mode;
}

/** The phases a plugin class implements (own or inherited methods), in Kong's order. */
export function implementedPhases(cls: PluginClass): Phase[] {
  const proto = cls.prototype as Record<string, unknown>;
  return PHASES.filter((p) => typeof proto[p] === 'function');
}

/** Loads one plugin file or directory. */
export async function loadPlugin(file: string, options: LoadOptions = {}): Promise<LoadedPlugin> {
  // require() takes a relative path for a package name: make it absolute.
  const full = path.resolve(file);
  const entry = resolveEntry(full);
  let mod: unknown;
  try {
    mod = await importModule(entry, options.fresh === true);
  } catch (e) {
    const located = syntaxErrorReason(e, entry);
    throw located === undefined ? e : new Error(located, { cause: e });
  }
  const exports = moduleExports(mod);
  const base = pluginBaseName(full);
  const name = (typeof exports.Name === 'string' && exports.Name ? exports.Name : base).toLowerCase();
  return {
    name,
    path: full,
    entry,
    minKongVersion: typeof exports.MinKongVersion === 'string' ? exports.MinKongVersion : undefined,
    version: exports.Version === undefined ? undefined : String(exports.Version),
    priority: exports.Priority ?? 0,
    rawBodies: rawBodyModeOf(exports),
    phases: implementedPhases(exports.Plugin),
    // No Schema export: a .schema.json sidecar, else (TypeScript) the schema derived from its config type.
    schemaFields: Array.isArray(exports.Schema) ? exports.Schema : implicitSchemaFields(entry),
    Plugin: exports.Plugin,
    modTime: fs.statSync(entry).mtimeMs / 1000,
    loadTime: Date.now() / 1000,
    lastStartInstance: 0,
    lastCloseInstance: 0,
  };
}

/**
 * Loads the plugins of `dir`; failures are collected, never thrown. With `only`, the entry
 * named like that plugin is tried first and, if it is that plugin, nothing else is loaded: in
 * one-plugin-per-server mode Kong queries every plugin's server at start, and loading the whole
 * directory for each would make start-up quadratic in the number of plugins.
 */
export async function loadPluginDir(
  directory: string,
  options: LoadOptions & { only?: string } = {},
): Promise<LoadResult> {
  const dir = path.resolve(directory);
  if (options.fresh) forgetModulesUnder(dir);
  const load = { fresh: options.fresh === true };
  const entries = pluginEntries(dir);
  const only = options.only?.toLowerCase();
  if (only !== undefined) {
    const named = entries.filter((e) => withoutPluginExtension(e).toLowerCase() === only);
    for (const name of named) {
      try {
        const plugin = await loadPlugin(path.join(dir, name), load);
        if (plugin.name === only) return { plugins: new Map([[only, plugin]]), failures: [] };
      } catch {
        // Fall back to the whole directory, which reports the failure in context.
      }
    }
  }
  const plugins = new Map<string, LoadedPlugin>();
  const failures: LoadFailure[] = [];
  for (const name of entries) {
    const full = path.join(dir, name);
    try {
      const plugin = await loadPlugin(full, load);
      const clash = plugins.get(plugin.name);
      if (clash) throw new Error(`plugin name '${plugin.name}' is already taken by ${clash.path}`);
      plugins.set(plugin.name, plugin);
    } catch (e) {
      failures.push({ path: full, reason: errorText(e) });
    }
  }
  return { plugins, failures };
}
