/**
 * /metrics of a multi-process server: every worker's registry (as prom-client JSON, fetched over
 * the control channel) merged with prom-client's AggregatorRegistry, plus the primary's own
 * series: worker replacements, forwarded Steps and blocked time. Loaded only when metrics are on.
 */
import {
  AggregatorRegistry,
  Counter,
  Gauge,
  Registry,
  type MetricObjectWithValues,
  type MetricValue,
} from 'prom-client';
import { METRIC_PREFIX } from '../metrics/meters.js';
import type { MetricsSource } from '../metrics/endpoint.js';

/** The primary's running counters, summed over every worker it ran. */
export interface ClusterCounters {
  restarts: number;
  blockedRestarts: number;
  forwardedSteps: number;
  blockedMs: number;
}

/** One registry as prom-client JSON. */
export type JsonMetrics = MetricObjectWithValues<MetricValue<string>>[];

/** What the primary lends the metrics: its counters and its workers' registries. */
export interface ClusterMetricsInputs {
  counters(): ClusterCounters;
  readyWorkers(): number;
  workersJson(): Promise<JsonMetrics[]>;
}

/** The source the primary's /metrics endpoint serves. */
export function clusterMetricsSource(inputs: ClusterMetricsInputs): MetricsSource {
  const own = new Registry();
  new Counter({
    name: `${METRIC_PREFIX}worker_restarts_total`,
    help: 'Worker processes replaced, by reason (died: crash, OOM, killed; blocked: event loop blocked past --max-blocked).',
    labelNames: ['reason'],
    registers: [own],
    collect() {
      const c = inputs.counters();
      this.reset();
      this.inc({ reason: 'died' }, c.restarts - c.blockedRestarts);
      this.inc({ reason: 'blocked' }, c.blockedRestarts);
    },
  });
  new Counter({
    name: `${METRIC_PREFIX}forwarded_steps_total`,
    help: 'Steps that reached a worker not owning their event and were sent to the owner.',
    registers: [own],
    collect() {
      this.reset();
      this.inc(inputs.counters().forwardedSteps);
    },
  });
  new Counter({
    name: `${METRIC_PREFIX}worker_blocked_seconds_total`,
    help: "Time the workers' event loops spent blocked beyond their heartbeat period.",
    registers: [own],
    collect() {
      this.reset();
      this.inc(inputs.counters().blockedMs / 1000);
    },
  });
  new Gauge({
    name: `${METRIC_PREFIX}workers_ready`,
    help: 'Worker processes serving now.',
    registers: [own],
    collect() {
      this.set(inputs.readyWorkers());
    },
  });
  return {
    contentType: own.contentType,
    async text(): Promise<string> {
      const parts = await inputs.workersJson();
      const merged = AggregatorRegistry.aggregate([...parts, await own.getMetricsAsJSON()]);
      return merged.metrics();
    },
  };
}
