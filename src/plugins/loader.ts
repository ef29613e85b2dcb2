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
import { isTestFile, PLUGIN_EXTENSIONS as EXTENSIONS, pluginBaseName, withoutPluginExtension } from './plugin-file.js';
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

/** The entries of `dir` that look like plugins, byte-wise sorted (the order kong-js-pdk dumps in). */
export function pluginEntries(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => {
      if (e.name.startsWith('.') || e.name === 'node_modules') return false;
      if (e.isDirectory())
        return (
          fs.existsSync(path.join(dir, e.name, 'package.json')) ||
          EXTENSIONS.some((x) => fs.existsSync(path.join(dir, e.name, `index${x}`)))
        );
      return EXTENSIONS.includes(path.extname(e.name)) && !e.name.endsWith('.d.ts') && !isTestFile(e.name);
    })
    .map((e) => e.name)
    .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

async function importModule(file: string): Promise<unknown> {
  const ext = path.extname(file);
  if (ext === '.ts' || ext === '.cts' || ext === '.mts') registerTypeScriptLoader();
  if (ext === '.mjs') return import(pathToFileURL(file).href);
  try {
    return require(file) as unknown;
  } catch (e) {
    // An ES module behind a .js name (package "type": "module").
    if ((e as NodeJS.ErrnoException).code === 'ERR_REQUIRE_ESM') return import(pathToFileURL(file).href);
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

/** The phases a plugin class implements (own or inherited methods), in Kong's order. */
export function implementedPhases(cls: PluginClass): Phase[] {
  const proto = cls.prototype as Record<string, unknown>;
  return PHASES.filter((p) => typeof proto[p] === 'function');
}

/** Loads one plugin file or directory. */
export async function loadPlugin(full: string): Promise<LoadedPlugin> {
  const entry = resolveEntry(full);
  const exports = moduleExports(await importModule(entry));
  const base = pluginBaseName(full);
  const name = (typeof exports.Name === 'string' && exports.Name ? exports.Name : base).toLowerCase();
  return {
    name,
    path: full,
    entry,
    minKongVersion: typeof exports.MinKongVersion === 'string' ? exports.MinKongVersion : undefined,
    version: exports.Version === undefined ? undefined : String(exports.Version),
    priority: exports.Priority ?? 0,
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
export async function loadPluginDir(dir: string, options: { only?: string } = {}): Promise<LoadResult> {
  const entries = pluginEntries(dir);
  const only = options.only?.toLowerCase();
  if (only !== undefined) {
    const named = entries.filter((e) => withoutPluginExtension(e).toLowerCase() === only);
    for (const name of named) {
      try {
        const plugin = await loadPlugin(path.join(dir, name));
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
      const plugin = await loadPlugin(full);
      const clash = plugins.get(plugin.name);
      if (clash) throw new Error(`plugin name '${plugin.name}' is already taken by ${clash.path}`);
      plugins.set(plugin.name, plugin);
    } catch (e) {
      failures.push({ path: full, reason: errorText(e) });
    }
  }
  return { plugins, failures };
}
