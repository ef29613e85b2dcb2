/**
 * prom-client metrics that read {@link CellFamily} cells at scrape time. prom-client formats the
 * exposition and aggregates across processes (AggregatorRegistry); the cells keep recording off
 * its label-hashing path.
 */
import {
  Counter,
  Gauge,
  Histogram,
  type Aggregator,
  type MetricType,
  type MetricObjectWithValues,
  type MetricValueWithName,
  type Registry,
} from 'prom-client';
import type { CellFamily, HistogramCell, ValueCell } from './cells.js';

/** How prom-client's cluster aggregation combines one metric across worker processes. */
export type Aggregation = Aggregator;

/** What every collector is made from. */
export interface CollectorSpec {
  readonly name: string;
  readonly help: string;
  readonly registry: Registry;
  readonly aggregator?: Aggregation;
}

/** A counter whose series are the family's cells. */
export function cellCounter(spec: CollectorSpec, family: CellFamily<ValueCell>): Counter<string> {
  return new Counter({
    name: spec.name,
    help: spec.help,
    labelNames: family.labelNames,
    registers: [spec.registry],
    aggregator: spec.aggregator ?? 'sum',
    collect() {
      this.reset();
      for (const { labels, cell } of family.series()) this.inc(labels, cell.value);
    },
  });
}

/** A gauge whose series are the family's cells, or what `read` reports at scrape time. */
export function cellGauge(
  spec: CollectorSpec,
  family: CellFamily<ValueCell> | undefined,
  labelNames: readonly string[] = family?.labelNames ?? [],
  read?: (set: (labels: Record<string, string>, value: number) => void) => void,
): Gauge<string> {
  return new Gauge({
    name: spec.name,
    help: spec.help,
    labelNames,
    registers: [spec.registry],
    aggregator: spec.aggregator ?? 'sum',
    collect() {
      this.reset();
      if (family) for (const { labels, cell } of family.series()) this.set(labels, cell.value);
      read?.((labels, value) => this.set(labels, value));
    },
  });
}

type HistogramValues = MetricObjectWithValues<MetricValueWithName<string>>;

/**
 * A histogram whose series are the family's cells. prom-client has no public way to set a
 * histogram's buckets, so this one answers `get()` (what the registry and the cluster
 * aggregation read) from the cells, in prom-client's own shape: `_bucket` per `le`, `_sum`, `_count`.
 */
export class CellHistogram extends Histogram<string> {
  constructor(
    private readonly spec: CollectorSpec,
    private readonly family: CellFamily<HistogramCell>,
    private readonly bounds: readonly number[],
  ) {
    super({
      name: spec.name,
      help: spec.help,
      labelNames: family.labelNames,
      buckets: [...bounds],
      registers: [spec.registry],
      aggregator: spec.aggregator ?? 'sum',
    });
  }

  override async get(): Promise<HistogramValues> {
    return Promise.resolve(this.snapshot());
  }

  /** The registry's text path asks for this when present; the same values, labels already merged. */
  async getForPromString(): Promise<HistogramValues> {
    return Promise.resolve(this.snapshot());
  }

  /**
   * The `type` the base constructor set ("histogram"). prom-client's typings declare MetricType
   * as a numeric enum that the package never exports; at run time it is the exposition's string.
   */
  private metricType(): MetricType {
    return (this as unknown as { readonly type: MetricType }).type;
  }

  private snapshot(): HistogramValues {
    const values: MetricValueWithName<string>[] = [];
    const { name, help } = this.spec;
    const bucketName = `${name}_bucket`;
    for (const { labels, cell } of this.family.series()) {
      let acc = 0;
      this.bounds.forEach((le, i) => {
        acc += cell.counts[i]!;
        values.push({ labels: { ...labels, le }, value: acc, metricName: bucketName });
      });
      values.push({ labels: { ...labels, le: '+Inf' }, value: cell.count, metricName: bucketName });
      values.push({ labels, value: cell.sum, metricName: `${name}_sum` });
      values.push({ labels, value: cell.count, metricName: `${name}_count` });
    }
    const aggregator = this.spec.aggregator ?? 'sum';
    return { name, help, type: this.metricType(), aggregator, values, collect: () => {} };
  }
}
