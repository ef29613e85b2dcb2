/**
 * The RPC handlers of a worker process. Instance changes go through the primary, which applies
 * them in every worker under one id; a Step goes to the worker owning its event; the rest is
 * answered by the worker's own handlers.
 */
import {
  RpcCallError,
  RpcErrors,
  type EventReply,
  type HandleEventParams,
  type InstanceInfo,
  type PluginInfo,
  type RpcHandlers,
  type ServerStatus,
  type StartInstanceParams,
  type StepErrorParams,
  type StepParams,
} from '../../generated/index.js';
import { errorText } from '../log.js';
import type { ServerState } from '../server/state.js';
import { inRanges, ownerSlot } from './event-slots.js';
import type { IpcLink } from './ipc-link.js';
import type { IdRange, InstanceRecord, InstanceUse } from './messages.js';
import type { StepRouter } from './step-router.js';

/** The lost-event ranges of this slot's dead predecessors, and until when they matter. */
export interface LostEvents {
  ranges: IdRange[];
  until: number;
}

/** A worker's handlers over its own ones (`base`). */
export class ClusterWorkerHandlers implements RpcHandlers {
  constructor(
    private readonly base: RpcHandlers,
    private readonly state: ServerState,
    private readonly link: IpcLink,
    private readonly router: StepRouter,
    private readonly slot: number,
    private readonly slots: number,
    private readonly lost: LostEvents,
  ) {}

  SetPluginDir(dir: string): Promise<string> {
    return this.viaPrimary('plugin.SetPluginDir', this.link.request({ k: 'set-plugin-dir', dir }));
  }

  GetStatus(): Promise<ServerStatus> {
    return this.viaPrimary('plugin.GetStatus', this.link.request({ k: 'server-status' }));
  }

  GetPluginInfo(name: string): PluginInfo | Promise<PluginInfo> {
    return this.base.GetPluginInfo(name);
  }

  StartInstance(params: StartInstanceParams): Promise<InstanceInfo> {
    return this.viaPrimary('plugin.StartInstance', this.link.request({ k: 'start', params }));
  }

  async InstanceStatus(id: number): Promise<InstanceInfo> {
    if (!this.state.instances.get(id)) await this.sync(id);
    return this.base.InstanceStatus(id);
  }

  CloseInstance(id: number): Promise<InstanceInfo> {
    return this.viaPrimary('plugin.CloseInstance', this.link.request({ k: 'close', id }));
  }

  HandleEvent(params: HandleEventParams): EventReply | Promise<EventReply> {
    const id = params.InstanceId;
    // An instance this worker does not know may have been started a moment ago through
    // another worker: ask the primary before answering "No plugin instance".
    if (id != null && !this.state.instances.get(id)) return this.sync(id).then(() => this.base.HandleEvent(params));
    return this.base.HandleEvent(params);
  }

  Step(params: StepParams): EventReply | Promise<EventReply> {
    // Every Step variant is one handler (rpc.yaml): the owner answers them all as plugin.Step.
    const owner = ownerSlot(params.EventId, this.slots);
    if (owner !== this.slot) return this.router.forward(owner, params.EventId, 'plugin.Step', [params]);
    return this.localStep('plugin.Step', [params]);
  }

  StepError(params: StepErrorParams): EventReply | Promise<EventReply> {
    const owner = ownerSlot(params.EventId, this.slots);
    if (owner !== this.slot) return this.router.forward(owner, params.EventId, 'plugin.StepError', [params]);
    return this.localStep('plugin.StepError', [params]);
  }

  /** A Step of an event this worker owns (from a Kong connection or another worker). */
  readonly localStep = (method: string, params: unknown[]): EventReply | Promise<EventReply> => {
    const p = params[0] as StepParams;
    if (!this.state.events.get(p.EventId) && Date.now() < this.lost.until && inRanges(p.EventId, this.lost.ranges))
      throw new RpcCallError(RpcErrors.EventLost(p.EventId));
    if (method === 'plugin.StepError') return this.base.StepError(p as StepErrorParams);
    return this.base.Step(p);
  };

  /** Creates an instance the primary allocated (no-op if it exists already). */
  createInstance(rec: InstanceRecord): InstanceInfo | Promise<InstanceInfo> {
    const have = this.state.instances.get(rec.id);
    if (have) return have.info();
    if (!this.state.plugins.has(rec.name)) throw new RpcCallError(RpcErrors.UnknownPlugin(rec.name));
    this.state.instances.reserveId(rec.id, rec.startTime);
    return this.base.StartInstance({ Name: rec.name, Config: rec.config });
  }

  /** Forgets an instance the primary closed or expired; its running events finish. */
  removeInstance(id: number): InstanceInfo | Promise<InstanceInfo> | null {
    if (!this.state.instances.get(id)) return null;
    return this.base.CloseInstance(id);
  }

  /** Every instance's use here, for the primary's idle expiry. */
  usage(): InstanceUse[] {
    const out: InstanceUse[] = [];
    for (const i of this.state.instances.all())
      out.push({ id: i.id, name: i.plugin.name, lastUsed: i.lastUsed, running: i.runningEvents });
    return out;
  }

  private async sync(id: number): Promise<void> {
    let rec: InstanceRecord | null;
    try {
      rec = await this.link.request({ k: 'sync', id });
    } catch {
      return;
    }
    if (rec && !this.state.instances.get(id)) await this.createInstance(rec);
  }

  private async viaPrimary<T>(method: string, p: Promise<T>): Promise<T> {
    try {
      return await p;
    } catch (e) {
      if (e instanceof RpcCallError) throw e;
      throw new RpcCallError(RpcErrors.WorkerUnavailable(method, errorText(e)));
    }
  }
}
