/**
 * The per-process metrics object: every kong_ts_* series the server records, in one prom-client
 * Registry. The hot path holds pre-bound meters ({@link PhaseMeter}, {@link PdkMeter}); the
 * registry renders text for /metrics or JSON for a primary process to aggregate with prom-client's
 * AggregatorRegistry.aggregate (one registry per worker, merged by metric name and labels).
 */
import { collectDefaultMetrics, Registry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import {
  CellFamily,
  EVENT_SECONDS_BUCKETS,
  histogramCell,
  observe,
  PDK_SECONDS_BUCKETS,
  type HistogramCell,
  type ValueCell,
} from './cells.js';
import { CellHistogram, cellCounter, cellGauge } from './collectors.js';
import {
  EVENT_OUTCOMES,
  METRIC_PREFIX,
  REFUSAL_REASONS,
  type EventOutcome,
  type MetricsSources,
  type PdkMeter,
  type PhaseMeter,
  type RefusalReason,
  type ServerMeters,
  type StrayErrorKind,
} from './meters.js';
import { pluginMetricsHub } from './plugin-metrics.js';

/** Options of {@link ServerMetrics}. */
export interface ServerMetricsOptions {
  /** Also prom-client's process and Node.js metrics (CPU, memory, handles, GC, event-loop lag), prefixed kong_ts_. Default true. */
  processMetrics?: boolean;
  /** Labels added to every series (e.g. `{ worker: '2' }` in a worker process). */
  defaultLabels?: Record<string, string>;
}

type JsonMetrics = MetricObjectWithValues<MetricValue<string>>[];

/** The metrics of one server process. */
export class ServerMetrics implements ServerMeters {
  readonly enabled = true;
  /** The registry holding every series of this process. */
  readonly registry = new Registry();
  private readonly events = new CellFamily<ValueCell>(['plugin', 'phase', 'outcome'], () => ({ value: 0 }));
  private readonly eventSeconds = new CellFamily<HistogramCell>(['plugin', 'phase'], () =>
    histogramCell(EVENT_SECONDS_BUCKETS),
  );
  private readonly pdkCalls = new CellFamily<ValueCell>(['function'], () => ({ value: 0 }));
  private readonly pdkErrors = new CellFamily<ValueCell>(['function'], () => ({ value: 0 }));
  private readonly pdkSeconds = new CellFamily<HistogramCell>(['function'], () => histogramCell(PDK_SECONDS_BUCKETS));
  private readonly refusals = new CellFamily<ValueCell>(['reason'], () => ({ value: 0 }));
  private readonly strays = new CellFamily<ValueCell>(['plugin', 'kind'], () => ({ value: 0 }));
  private readonly connections: ValueCell = { value: 0 };
  private readonly connectionsTotal: ValueCell = { value: 0 };
  private readonly phases = new Map<string, Map<string, PhaseMeter>>();
  private readonly pdks = new Map<string, PdkMeter>();
  private sources: MetricsSources | undefined;
  private readonly pluginCollectors = new Set<string>();

  constructor(options: ServerMetricsOptions = {}) {
    const registry = this.registry;
    if (options.defaultLabels) registry.setDefaultLabels(options.defaultLabels);
    const spec = (name: string, help: string, aggregator?: 'max') => ({
      name: `${METRIC_PREFIX}${name}`,
      help,
      registry,
      ...(aggregator ? { aggregator } : {}),
    });
    cellCounter(
      spec('events_total', 'Events (one phase handler run) ended, by plugin, phase and outcome.'),
      this.events,
    );
    new CellHistogram(
      spec('event_duration_seconds', 'Time from HandleEvent to the end of the event, by plugin and phase.'),
      this.eventSeconds,
      EVENT_SECONDS_BUCKETS,
    );
    cellCounter(spec('pdk_calls_total', 'PDK calls sent to Kong, by function.'), this.pdkCalls);
    cellCounter(
      spec('pdk_call_errors_total', 'PDK calls Kong answered with an error (StepError), by function.'),
      this.pdkErrors,
    );
    new CellHistogram(
      spec('pdk_call_duration_seconds', "Round trip of a PDK call: sent to Kong until Kong's Step, by function."),
      this.pdkSeconds,
      PDK_SECONDS_BUCKETS,
    );
    cellCounter(spec('messages_refused_total', 'Messages refused at the connection level, by reason.'), this.refusals);
    // Every reason is exposed at zero from the start, so rate() and alerts see a start.
    for (const r of REFUSAL_REASONS) this.refusals.cell([r]);
    cellCounter(
      spec(
        'stray_errors_total',
        'Unhandled rejections and uncaught exceptions caught, by plugin (or "unknown") and kind.',
      ),
      this.strays,
    );
    cellGauge(spec('connections', 'Open connections from Kong.'), undefined, [], (set) =>
      set({}, this.connections.value),
    );
    cellCounter(spec('connections_accepted_total', 'Connections accepted.'), this.connectionsTotalFamily());
    // Every worker holds every instance, so the processes' counts are not added up.
    cellGauge(spec('instances', 'Live plugin instances, by plugin.', 'max'), undefined, ['plugin'], (set) => {
      for (const [plugin, n] of this.sources?.instancesByPlugin() ?? []) set({ plugin }, n);
    });
    cellGauge(spec('events_in_flight', 'Events started and not yet ended.'), undefined, [], (set) =>
      set({}, this.sources?.liveEvents() ?? 0),
    );
    if (options.processMetrics !== false) collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });
    pluginMetricsHub().enable();
  }

  /** Connects the scrape-time gauges to the server's state. */
  setSources(sources: MetricsSources): void {
    this.sources = sources;
  }

  phase(plugin: string, phase: string): PhaseMeter {
    let byPhase = this.phases.get(plugin);
    if (byPhase === undefined) this.phases.set(plugin, (byPhase = new Map()));
    let meter = byPhase.get(phase);
    if (meter === undefined) {
      const outcomes = {} as Record<EventOutcome, ValueCell>;
      // Every outcome is exposed from the first event on, zeros included, so rate() sees a start.
      for (const o of EVENT_OUTCOMES) outcomes[o] = this.events.cell([plugin, phase, o]);
      const duration = this.eventSeconds.cell([plugin, phase]);
      meter = {
        ended(outcome, seconds) {
          outcomes[outcome].value++;
          observe(duration, EVENT_SECONDS_BUCKETS, seconds);
        },
      };
      byPhase.set(phase, meter);
    }
    return meter;
  }

  pdk(fn: string): PdkMeter {
    let meter = this.pdks.get(fn);
    if (meter === undefined) {
      const calls = this.pdkCalls.cell([fn]);
      const errors = this.pdkErrors.cell([fn]);
      const seconds = this.pdkSeconds.cell([fn]);
      meter = {
        sent() {
          calls.value++;
        },
        answered(s, failed) {
          observe(seconds, PDK_SECONDS_BUCKETS, s);
          if (failed) errors.value++;
        },
      };
      this.pdks.set(fn, meter);
    }
    return meter;
  }

  connectionOpened(): void {
    this.connections.value++;
    this.connectionsTotal.value++;
  }

  connectionClosed(): void {
    this.connections.value--;
  }

  refused(reason: RefusalReason): void {
    this.refusals.cell([reason]).value++;
  }

  strayError(plugin: string | undefined, kind: StrayErrorKind): void {
    this.strays.cell([plugin ?? 'unknown', kind]).value++;
  }

  /** The Content-Type of {@link text}. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** This process's metrics, plugin-defined ones included, as Prometheus text. */
  async text(): Promise<string> {
    this.syncPluginMetrics();
    return this.registry.metrics();
  }

  /** This process's metrics as prom-client JSON (what AggregatorRegistry.aggregate takes, one array per worker). */
  async json(): Promise<JsonMetrics> {
    this.syncPluginMetrics();
    return this.registry.getMetricsAsJSON();
  }

  /** Registers collectors for plugin metrics defined since the last scrape. */
  private syncPluginMetrics(): void {
    for (const def of pluginMetricsHub().definitions()) {
      if (this.pluginCollectors.has(def.name)) continue;
      this.pluginCollectors.add(def.name);
      const spec = { name: def.name, help: def.help, registry: this.registry };
      if (def.histograms) new CellHistogram(spec, def.histograms, def.buckets);
      else if (def.values && def.kind === 'counter') cellCounter(spec, def.values);
      else if (def.values) cellGauge(spec, def.values);
    }
  }

  private connectionsTotalFamily(): CellFamily<ValueCell> {
    const family = new CellFamily<ValueCell>([], () => this.connectionsTotal);
    family.cell([]);
    return family;
  }
}
