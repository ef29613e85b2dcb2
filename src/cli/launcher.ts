/**
 * Writes a per-plugin executable for Kong 3.9+'s defaults: Kong starts `/usr/local/bin/<name>`
 * and queries `/usr/local/bin/<name> -dump`, so a launcher there that runs
 * `kong-ts-pluginserver -d <dir> --plugin <name>` makes `pluginserver_names = <name>` the whole
 * Kong configuration.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { errorText } from '../log.js';
import { pluginProblems } from '../plugins/info.js';
import { loadPluginDir } from '../plugins/loader.js';
import { withoutPluginExtension } from '../plugins/plugin-file.js';

/** What the launcher runs. */
export interface LauncherSpec {
  name: string;
  pluginsDir: string;
  /** Kong prefix for the socket; omitted = the server's default, /usr/local/kong. */
  prefix?: string;
  /** The node binary (absolute: Kong runs commands with nginx's minimal environment). */
  node?: string;
  /** The kong-ts-pluginserver script. */
  server?: string;
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The launcher script's text. */
export function launcherScript(spec: LauncherSpec): string {
  const node = spec.node ?? process.execPath;
  const server = spec.server ?? path.resolve(__dirname, '..', '..', '..', 'bin', 'kong-ts-pluginserver');
  const args = [
    shellQuote(node),
    shellQuote(server),
    '-d',
    shellQuote(path.resolve(spec.pluginsDir)),
    '--plugin',
    shellQuote(spec.name),
  ];
  if (spec.prefix) args.push('-p', shellQuote(path.resolve(spec.prefix)));
  return [
    '#!/bin/sh',
    `# Kong external plugin "${spec.name}", served by kong-ts-pluginserver (written by \`kong-ts-pdk launcher\`).`,
    `# Kong 3.9+ starts this file and queries it with -dump; both go to the same server.`,
    `exec ${args.join(' ')} "$@"`,
    '',
  ].join('\n');
}

/** Writes the launcher at `target` (mode 0755). */
export function writeLauncher(target: string, spec: LauncherSpec): void {
  fs.writeFileSync(target, launcherScript(spec), { mode: 0o755 });
  fs.chmodSync(target, 0o755);
}

/**
 * Why a launcher for `name` in `pluginsDir` would not work, as the server's `-dump` would find
 * it (a missing or unreadable directory, a plugin that is not there or fails to load, one Kong
 * would refuse); undefined when it would. Loads the plugin, so its code runs.
 */
export async function launcherProblem(pluginsDir: string, name: string): Promise<string | undefined> {
  const dir = path.resolve(pluginsDir);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch (e) {
    return `the plugins directory ${dir} cannot be read: ${errorText(e)}`;
  }
  if (!stat.isDirectory()) return `the plugins directory ${dir} is not a directory`;
  const only = name.toLowerCase();
  let loaded: Awaited<ReturnType<typeof loadPluginDir>>;
  try {
    loaded = await loadPluginDir(dir, { only });
  } catch (e) {
    return `the plugins directory ${dir} cannot be read: ${errorText(e)}`;
  }
  const plugin = loaded.plugins.get(only);
  if (!plugin) {
    const failed = loaded.failures.find((f) => withoutPluginExtension(path.basename(f.path)).toLowerCase() === only);
    if (failed) return `plugin ${name} (${failed.path}) failed to load: ${failed.reason}`;
    const found = [...loaded.plugins.keys()].join(', ') || 'none';
    return `plugin ${name} is not in ${dir} (found: ${found})`;
  }
  const problems = pluginProblems(plugin);
  if (problems.length) return `Kong would refuse plugin ${name} (${plugin.path}): ${problems.join('; ')}`;
  return undefined;
}
