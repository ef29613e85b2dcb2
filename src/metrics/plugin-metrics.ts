/**
 * Metrics that plugins define: counters, gauges and histograms named `kong_ts_plugin_<name>`,
 * labelled with the plugin's name, served on the server's /metrics next to its own. When the
 * server runs without metrics every call returns at once.
 *
 * Plugins usually define their metrics at module load, before the server has decided whether
 * metrics are on, and a plugin's `require('kong-ts-pdk')` may load a different copy of this
 * package than the server's (the plugin directory's node_modules). So definitions live in one
 * hub per process, kept on `globalThis` under a registered symbol; servers read it when scraped.
 */
import { CellFamily, histogramCell, observe, type HistogramCell, type ValueCell } from './cells.js';

/** The prefix of every plugin-defined metric. */
export const PLUGIN_METRIC_PREFIX = 'kong_ts_plugin_';

/** Label values of a plugin metric; a label left out is the empty string. */
export type MetricLabels<L extends string> = { readonly [K in L]?: string | number };

/** A plugin-defined counter. */
export interface PluginCounter<L extends string = never> {
  /** Adds `value` (default 1, never negative) to the series of `labels`. */
  inc(labels?: MetricLabels<L>, value?: number): void;
}

/** A plugin-defined gauge. */
export interface PluginGauge<L extends string = never> {
  set(labels: MetricLabels<L> | undefined, value: number): void;
  inc(labels?: MetricLabels<L>, value?: number): void;
  dec(labels?: MetricLabels<L>, value?: number): void;
}

/** A plugin-defined histogram (values in the unit its name says, seconds by convention). */
export interface PluginHistogram<L extends string = never> {
  observe(labels: MetricLabels<L> | undefined, value: number): void;
}

/** What a plugin metric is defined with. */
export interface PluginMetricSpec<L extends string> {
  /** Its name after `kong_ts_plugin_`: letters, digits and underscores, e.g. `cache_hits_total`. */
  name: string;
  help: string;
  /** Its own labels (`plugin` is added, and reserved). */
  labelNames?: readonly L[];
}

/** A histogram's spec: buckets are upper bounds, ascending (default: prom-client's, 5 ms to 10 s). */
export interface PluginHistogramSpec<L extends string> extends PluginMetricSpec<L> {
  buckets?: readonly number[];
}

/** The metrics API one plugin uses; from {@link pluginMetrics}. */
export interface PluginMetrics {
  readonly plugin: string;
  counter<L extends string = never>(spec: PluginMetricSpec<L>): PluginCounter<L>;
  gauge<L extends string = never>(spec: PluginMetricSpec<L>): PluginGauge<L>;
  histogram<L extends string = never>(spec: PluginHistogramSpec<L>): PluginHistogram<L>;
}

/** The kinds of plugin metric. */
export type PluginMetricKind = 'counter' | 'gauge' | 'histogram';

/** One plugin metric as the hub holds it; a server's registry reads its cells when scraped. */
export interface PluginMetricDefinition {
  readonly kind: PluginMetricKind;
  readonly name: string;
  readonly help: string;
  /** `plugin` first, then the plugin's own labels. */
  readonly labelNames: readonly string[];
  readonly buckets: readonly number[];
  readonly values?: CellFamily<ValueCell>;
  readonly histograms?: CellFamily<HistogramCell>;
}

/** The process-wide store of plugin metric definitions. */
export interface PluginMetricsHub {
  /** True once a server with metrics exists in this process. */
  readonly enabled: boolean;
  enable(): void;
  define(kind: PluginMetricKind, spec: PluginHistogramSpec<string>): PluginMetricDefinition;
  /** Every definition so far, in definition order. */
  definitions(): IterableIterator<PluginMetricDefinition>;
}

const DEFAULT_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const RESERVED_LABELS = new Set(['plugin', 'le', 'quantile']);

function sameShape(
  a: PluginMetricDefinition,
  kind: PluginMetricKind,
  labelNames: readonly string[],
  buckets: readonly number[],
): boolean {
  return (
    a.kind === kind &&
    a.labelNames.join(',') === labelNames.join(',') &&
    (kind !== 'histogram' || a.buckets.join(',') === buckets.join(','))
  );
}

function createHub(): PluginMetricsHub {
  const defs = new Map<string, PluginMetricDefinition>();
  let enabled = false;
  return {
    get enabled() {
      return enabled;
    },
    enable() {
      enabled = true;
    },
    define(kind, spec) {
      if (!NAME.test(spec.name)) throw new TypeError(`metric name ${JSON.stringify(spec.name)} must match ${NAME}`);
      const own = spec.labelNames ?? [];
      for (const l of own) {
        if (!NAME.test(l) || l.startsWith('__') || RESERVED_LABELS.has(l))
          throw new TypeError(`metric ${spec.name}: label name ${JSON.stringify(l)} is invalid or reserved`);
      }
      const name = `${PLUGIN_METRIC_PREFIX}${spec.name}`;
      const labelNames = ['plugin', ...own];
      const buckets = kind === 'histogram' ? [...(spec.buckets ?? DEFAULT_BUCKETS)].sort((a, b) => a - b) : [];
      const existing = defs.get(name);
      if (existing) {
        if (!sameShape(existing, kind, labelNames, buckets))
          throw new TypeError(`metric ${name} is already defined as a ${existing.kind} with other labels or buckets`);
        return existing;
      }
      const def: PluginMetricDefinition =
        kind === 'histogram'
          ? {
              kind,
              name,
              help: spec.help,
              labelNames,
              buckets,
              histograms: new CellFamily(labelNames, () => histogramCell(buckets)),
            }
          : {
              kind,
              name,
              help: spec.help,
              labelNames,
              buckets,
              values: new CellFamily(labelNames, () => ({ value: 0 })),
            };
      defs.set(name, def);
      return def;
    },
    definitions: () => defs.values(),
  };
}

const HUB_KEY = Symbol.for('kong-ts-pdk.plugin-metrics-hub.v1');

/** The hub of this process (shared by every copy of this package loaded in it). */
export function pluginMetricsHub(): PluginMetricsHub {
  const g = globalThis as { [HUB_KEY]?: PluginMetricsHub };
  return (g[HUB_KEY] ??= createHub());
}

function labelValues(plugin: string, own: readonly string[], labels: MetricLabels<string> | undefined): string[] {
  const values = [plugin];
  for (const l of own) {
    const v = labels?.[l];
    values.push(v === undefined ? '' : String(v));
  }
  return values;
}

function finite(name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new TypeError(`metric ${name}: ${String(value)} is not a finite number`);
  return value;
}

/**
 * The metrics API for the plugin named `plugin`; every series it writes carries `plugin="<name>"`.
 *
 * ```ts
 * const metrics = pluginMetrics('rate-guard');
 * const blocked = metrics.counter({ name: 'blocked_total', help: 'Requests refused', labelNames: ['reason'] });
 * blocked.inc({ reason: 'quota' });
 * ```
 */
export function pluginMetrics(plugin: string): PluginMetrics {
  const hub = pluginMetricsHub();
  return {
    plugin,
    counter<L extends string = never>(spec: PluginMetricSpec<L>): PluginCounter<L> {
      const def = hub.define('counter', spec);
      const own = def.labelNames.slice(1);
      return {
        inc(labels, value = 1) {
          if (!hub.enabled) return;
          if (finite(def.name, value) < 0) throw new RangeError(`metric ${def.name}: a counter cannot decrease`);
          def.values!.cell(labelValues(plugin, own, labels)).value += value;
        },
      };
    },
    gauge<L extends string = never>(spec: PluginMetricSpec<L>): PluginGauge<L> {
      const def = hub.define('gauge', spec);
      const own = def.labelNames.slice(1);
      const add = (labels: MetricLabels<L> | undefined, delta: number): void => {
        if (!hub.enabled) return;
        def.values!.cell(labelValues(plugin, own, labels)).value += finite(def.name, delta);
      };
      return {
        set(labels, value) {
          if (!hub.enabled) return;
          def.values!.cell(labelValues(plugin, own, labels)).value = finite(def.name, value);
        },
        inc: (labels, value = 1) => add(labels, value),
        dec: (labels, value = 1) => add(labels, -value),
      };
    },
    histogram<L extends string = never>(spec: PluginHistogramSpec<L>): PluginHistogram<L> {
      const def = hub.define('histogram', spec);
      const own = def.labelNames.slice(1);
      return {
        observe(labels, value) {
          if (!hub.enabled) return;
          observe(def.histograms!.cell(labelValues(plugin, own, labels)), def.buckets, finite(def.name, value));
        },
      };
    },
  };
}
