/**
 * What Kong's query command reads: plugin infos on stdout, nothing else. A plugin Kong 3.x
 * would refuse (bad Version or Priority, header_filter/body_filter, a schema MetaSubSchema
 * rejects) is left out of the dump and reported on stderr with its reasons.
 */
import * as fs from 'node:fs';
import { RPC_PROTOCOL, type PluginInfo } from '../../generated/index.js';
import type { Logger } from '../log.js';
import { pluginInfo, pluginProblems } from '../plugins/info.js';
import type { LoadedPlugin } from '../plugins/types.js';
import { callsNewerThan } from '../plugins/version-check.js';

/** The protocol string of this server's dumps. */
export const PROTOCOL = RPC_PROTOCOL;

/** Infos of the plugins Kong can load, in load order; the others are logged. */
export function dumpableInfos(plugins: Iterable<LoadedPlugin>, logger: Logger): PluginInfo[] {
  const infos: PluginInfo[] = [];
  for (const p of plugins) {
    const problems = pluginProblems(p);
    if (problems.length) {
      logger.error(`plugin ${p.name} (${p.path}) left out of the dump: Kong would refuse it: ${problems.join('; ')}`);
      continue;
    }
    warnTooNewCalls(p, logger);
    infos.push(pluginInfo(p));
  }
  return infos;
}

/** Warns about PDK calls in a plugin's source that its declared `MinKongVersion` lacks. */
function warnTooNewCalls(p: LoadedPlugin, logger: Logger): void {
  if (p.minKongVersion === undefined) return;
  let source: string;
  try {
    source = fs.readFileSync(p.entry, 'utf8');
  } catch {
    return;
  }
  for (const call of callsNewerThan(source, p.minKongVersion)) {
    logger.warn(
      `plugin ${p.name} targets Kong ${p.minKongVersion} but calls ${call.camel} (${call.name}), which Kong ${call.since} added; on older Kong it resolves undefined`,
    );
  }
}

/** The one-plugin dump Kong 3.9's `<name> -dump` query expects. */
export function singlePluginDump(info: PluginInfo): string {
  return JSON.stringify({ Protocol: PROTOCOL, Plugins: [info] });
}
