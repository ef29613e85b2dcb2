/**
 * Metrics: the meters the server records through (meters.ts), its prom-client registry
 * (server-metrics.ts, loaded only when metrics are on), plugin-defined metrics
 * (plugin-metrics.ts) and the /metrics endpoint (endpoint.ts).
 */
export {
  EVENT_OUTCOMES,
  METRIC_PREFIX,
  NO_METRICS,
  REFUSAL_REASONS,
  type EventOutcome,
  type MetricsSources,
  type PdkMeter,
  type PhaseMeter,
  type RefusalReason,
  type ServerMeters,
  type StrayErrorKind,
} from './meters.js';
export type { ServerMetrics, ServerMetricsOptions } from './server-metrics.js';
export { createServerMetrics } from './load.js';
export {
  PLUGIN_METRIC_PREFIX,
  pluginMetrics,
  pluginMetricsHub,
  type MetricLabels,
  type PluginCounter,
  type PluginGauge,
  type PluginHistogram,
  type PluginHistogramSpec,
  type PluginMetricDefinition,
  type PluginMetricKind,
  type PluginMetricSpec,
  type PluginMetrics,
} from './plugin-metrics.js';
export {
  parseMetricsAddress,
  startMetricsEndpoint,
  type MetricsAddress,
  type MetricsEndpoint,
  type MetricsEndpointOptions,
  type MetricsSource,
} from './endpoint.js';
