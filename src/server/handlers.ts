/**
 * The RPC methods of rpc.yaml, implemented over the server state. The generated dispatcher
 * checks method names and param shapes before anything here runs.
 */
import * as fs from 'node:fs';
import {
  EXIT_PHASES,
  FAIL_CLOSED_RESPONSE,
  PHASES,
  RpcCallError,
  RpcErrors,
  type EventReply,
  type HandleEventParams,
  type InstanceInfo,
  type Phase,
  type PluginInfo,
  type RpcHandlers,
  type ServerStatus,
  type StartInstanceParams,
  type StepErrorParams,
  type StepParams,
} from '../../generated/index.js';
import type { PluginInstance } from '../instances/instance.js';
import { errorText } from '../log.js';
import { pluginInfo, pluginProblems } from '../plugins/info.js';
import { loadPluginDir } from '../plugins/loader.js';
import { validateConfig } from '../schema/validator.js';
import type { ServerState } from './state.js';

const PHASE_SET: ReadonlySet<string> = new Set(PHASES);

function failClosed(kong: { response: { exit(status: number, body?: unknown): Promise<void> } }): Promise<void> {
  return kong.response.exit(FAIL_CLOSED_RESPONSE.status, FAIL_CLOSED_RESPONSE.body);
}
const finishAtOnce = (): void => {};

/** The handlers the dispatcher calls. */
export class PluginServerHandlers implements RpcHandlers {
  constructor(private readonly state: ServerState) {}

  async SetPluginDir(dir: string): Promise<string> {
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new RpcCallError(RpcErrors.MissingPluginDir(dir));
    const { plugins, failures } = await loadPluginDir(dir);
    for (const f of failures) this.state.logger.error(`plugin ${f.path} failed to load: ${f.reason}`);
    this.state.plugins = plugins;
    this.state.pluginDir = dir;
    return 'ok';
  }

  GetStatus(): ServerStatus {
    // No prototype: a plugin named __proto__ must be an ordinary key.
    const status: ServerStatus = { Pid: process.pid, Plugins: Object.create(null) as ServerStatus['Plugins'] };
    for (const p of this.state.plugins.values()) {
      status.Plugins[p.name] = {
        Name: p.name,
        Modtime: p.modTime,
        LoadTime: p.loadTime,
        Instances: [],
        LastStartInstance: p.lastStartInstance,
        LastCloseInstance: p.lastCloseInstance,
      };
    }
    for (const inst of this.state.instances.all()) status.Plugins[inst.plugin.name]?.Instances.push(inst.info());
    return status;
  }

  GetPluginInfo(name: string): PluginInfo {
    const plugin = this.state.plugins.get(name);
    if (!plugin) throw new RpcCallError(RpcErrors.UnknownPlugin(name));
    const problems = pluginProblems(plugin);
    if (problems.length) throw new RpcCallError(RpcErrors.PluginRefused(name, problems.join('; ')));
    return pluginInfo(plugin);
  }

  StartInstance(params: StartInstanceParams): InstanceInfo {
    const plugin = this.state.plugins.get(params.Name);
    if (!plugin) throw new RpcCallError(RpcErrors.UnknownPlugin(params.Name));
    plugin.lastStartInstance = Date.now() / 1000;
    // Never fail from here on: Kong 2.4–3.0 loop forever on a StartInstance error. A config
    // the plugin cannot run with gets an instance that fails closed instead.
    let config: unknown = null;
    let object: Record<string, unknown> | undefined;
    let broken: string | undefined;
    try {
      config = JSON.parse(params.Config);
    } catch (e) {
      broken = RpcErrors.ConfigNotJson(errorText(e));
    }
    if (broken === undefined) {
      // Checked against the plugin's schema; the constructor gets the defaults filled in.
      const checked = validateConfig(plugin, config, this.state.logger);
      if (checked.ok) config = checked.config;
      else broken = RpcErrors.ConfigInvalid(checked.message);
    }
    if (broken === undefined) {
      try {
        object = new plugin.Plugin(config) as Record<string, unknown>;
      } catch (e) {
        broken = RpcErrors.ConstructorThrew(errorText(e));
      }
    }
    const inst = this.state.instances.add(plugin, config, object, broken);
    if (broken) {
      inst.brokenLogged = true;
      this.state.logger.error(
        `instance ${inst.id} of ${plugin.name} cannot run (${broken}); it answers every request with HTTP 500`,
      );
      this.state.options.onPluginError?.({ plugin: plugin.name, instanceId: inst.id, message: broken });
    } else {
      this.state.logger.debug(`instance ${inst.id} of ${plugin.name} started`);
    }
    return inst.info();
  }

  InstanceStatus(id: number): InstanceInfo {
    return this.instance(id).info();
  }

  CloseInstance(id: number): InstanceInfo {
    const inst = this.state.instances.remove(id);
    if (!inst) throw new RpcCallError(RpcErrors.NoPluginInstance(id));
    inst.plugin.lastCloseInstance = Date.now() / 1000;
    this.state.logger.debug(
      `instance ${id} of ${inst.plugin.name} closed (${inst.runningEvents} events still running)`,
    );
    return inst.info();
  }

  HandleEvent(params: HandleEventParams): Promise<EventReply> {
    if (params.InstanceId == null) throw new RpcCallError(RpcErrors.MissingInstanceId());
    const inst = this.instance(params.InstanceId);
    const phase = params.EventName;
    if (!PHASE_SET.has(phase) || !inst.plugin.phases.includes(phase as Phase)) {
      throw new RpcCallError(RpcErrors.UnknownPhase(inst.plugin.name, phase));
    }
    if (inst.object === undefined) {
      return this.state.events.start(
        inst,
        phase as Phase,
        EXIT_PHASES.has(phase as Phase) ? failClosed : finishAtOnce,
        undefined,
      );
    }
    return this.state.events.start(inst, phase as Phase, inst.object[phase] as (kong: never) => unknown, inst.object);
  }

  Step(params: StepParams): Promise<EventReply> {
    return this.event(params.EventId).step(params.Data, false);
  }

  StepError(params: StepErrorParams): Promise<EventReply> {
    return this.event(params.EventId).step(params.Data, true);
  }

  private instance(id: number): PluginInstance {
    const inst = this.state.instances.get(id);
    if (!inst) throw new RpcCallError(RpcErrors.NoPluginInstance(id));
    return inst;
  }

  private event(id: number) {
    const event = this.state.events.get(id);
    if (!event) throw new RpcCallError(RpcErrors.NoRunningEvent(id));
    return event;
  }
}
