/**
 * The hot path's side of the metrics: plain numbers in pre-bound cells. Recording an event or a
 * PDK call is a few additions on an object the caller already holds, with no label hashing or
 * string building; prom-client reads the cells only when /metrics is scraped (collectors.ts).
 */

/** A counter or gauge value. */
export interface ValueCell {
  value: number;
}

/** A histogram's state: per-bucket counts (not cumulative; the last slot is +Inf), sum and count. */
export interface HistogramCell {
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

/** Upper bounds in seconds for event durations: sub-millisecond echo events up to Kong's 60 s socket timeout. */
export const EVENT_SECONDS_BUCKETS: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];

/** Upper bounds in seconds for one PDK round trip through Kong (tens of microseconds when Kong is idle). */
export const PDK_SECONDS_BUCKETS: readonly number[] = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1,
];

/** A fresh histogram cell for `bounds`. */
export function histogramCell(bounds: readonly number[]): HistogramCell {
  return { counts: new Float64Array(bounds.length + 1), sum: 0, count: 0 };
}

/** Records `seconds` into `cell` (bounds ascending; a linear scan beats a binary search at this size). */
export function observe(cell: HistogramCell, bounds: readonly number[], seconds: number): void {
  let i = 0;
  const n = bounds.length;
  while (i < n && seconds > bounds[i]!) i++;
  cell.counts[i]!++;
  cell.sum += seconds;
  cell.count++;
}

/**
 * The cells of one metric by label values. `cell(values)` is for set-up time (it joins the values
 * into a key); the hot path keeps the cell it returned.
 */
export class CellFamily<C> {
  private readonly byKey = new Map<string, { labels: Record<string, string>; cell: C }>();

  constructor(
    readonly labelNames: readonly string[],
    private readonly make: () => C,
  ) {}

  /** The cell of these label values (in `labelNames` order), created on first use. */
  cell(values: readonly string[]): C {
    const key = values.join('\u0000');
    let entry = this.byKey.get(key);
    if (entry === undefined) {
      const labels: Record<string, string> = {};
      this.labelNames.forEach((n, i) => (labels[n] = values[i] ?? ''));
      entry = { labels, cell: this.make() };
      this.byKey.set(key, entry);
    }
    return entry.cell;
  }

  /** Every series: its labels and cell. */
  series(): IterableIterator<{ labels: Record<string, string>; cell: C }> {
    return this.byKey.values();
  }
}
