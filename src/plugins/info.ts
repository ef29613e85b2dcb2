/**
 * A plugin's info as Kong reads it from the dump and GetPluginInfo, and what Kong 3.x would
 * refuse in it (kong/db/dao/plugins.lua: a VERSION of one to three numeric parts, an integral
 * PRIORITY; only cosocket phases; a schema passing MetaSubSchema).
 */
import { PHASES, REFUSED_PHASES, RpcErrors, type PluginInfo } from '../../generated/index.js';
import { checkKongSchema } from './kong-schema.js';
import type { LoadedPlugin } from './types.js';

/** The Kong schema of a plugin: its config fields wrapped as Kong expects. */
export function kongSchema(plugin: LoadedPlugin): Record<string, unknown> {
  return { name: plugin.name, fields: [{ config: { type: 'record', fields: plugin.schemaFields } }] };
}

/** The info object (an element of the dump). */
export function pluginInfo(plugin: LoadedPlugin): PluginInfo {
  return {
    Name: plugin.name,
    Phases: [...plugin.phases],
    Version: plugin.version ?? '',
    Priority: plugin.priority,
    Schema: kongSchema(plugin),
  };
}

/** What Kong 3.x would refuse in this plugin (empty when it loads). */
export function pluginProblems(plugin: LoadedPlugin): string[] {
  const problems: string[] = [];
  if (plugin.version === undefined) problems.push(RpcErrors.VersionMissing());
  else if (!/^\d+(\.\d+){0,2}$/.test(plugin.version)) problems.push(RpcErrors.VersionMalformed(plugin.version));
  if (!Number.isInteger(plugin.priority)) problems.push(RpcErrors.PriorityNotInteger(plugin.priority));
  const proto = plugin.Plugin.prototype as Record<string, unknown>;
  for (const [p, why] of REFUSED_PHASES) {
    if (typeof proto[p] === 'function') problems.push(RpcErrors.PhaseRefused(p, why));
  }
  if (plugin.phases.length === 0) problems.push(RpcErrors.NoPhase(PHASES.join(', ')));
  problems.push(...checkKongSchema(kongSchema(plugin)));
  return problems;
}
