/**
 * Creates the metrics object only when metrics are on: prom-client costs tens of milliseconds to
 * load, and Kong runs this package's dump commands at every start.
 */
import type { ServerMetrics, ServerMetricsOptions } from './server-metrics.js';

/** A new {@link ServerMetrics}, loading prom-client on first use. */
export function createServerMetrics(options: ServerMetricsOptions = {}): ServerMetrics {
  // A plain require keeps the load lazy and synchronous (the server's state is built in a constructor).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const m = require('./server-metrics.js') as typeof import('./server-metrics.js');
  return new m.ServerMetrics(options);
}
