/**
 * Gives memory back after the TTL frees a flood of abandoned events. V8 runs a full collection
 * only under allocation pressure, so an idle server keeps the old-space pages of tens of
 * thousands of freed events mapped (hundreds of MB of RSS) indefinitely. After a sweep frees
 * many events, this asks V8 for one full collection, run as a task, at most every few seconds.
 */
import * as v8 from 'node:v8';
import * as vm from 'node:vm';

type Collect = (options: { type: 'major'; execution: 'async' }) => unknown;

let collect: Collect | null | undefined;

/** V8's collector function, obtained once without leaving `gc` exposed to later contexts (plugin code). */
function collector(): Collect | null {
  if (collect !== undefined) return collect;
  try {
    v8.setFlagsFromString('--expose-gc');
    collect = vm.runInNewContext('gc') as Collect;
  } catch {
    collect = null;
  } finally {
    v8.setFlagsFromString('--no-expose-gc');
  }
  return collect;
}

/** Decides when freed events are worth a full collection. */
export class MemoryReleaser {
  private freedSince = 0;
  private lastAt = 0;

  constructor(
    /** Events freed since the last collection before one is worth its cost. */
    private readonly minFreed = 10_000,
    /** Never more often than this. */
    private readonly minIntervalMs = 3_000,
  ) {}

  /**
   * Notes a sweep: `freed` events freed, `live` still live. Asks for a collection after a flood
   * (`minFreed` freed) or once a smaller burst has drained (most of it freed, few events left).
   * Returns true when it asked.
   */
  noteFreed(freed: number, live: number, now = Date.now()): boolean {
    this.freedSince += freed;
    const flood = this.freedSince >= this.minFreed;
    const drained = this.freedSince >= this.minFreed / 10 && live * 10 <= this.freedSince;
    if (!(flood || drained) || now - this.lastAt < this.minIntervalMs) return false;
    const gc = collector();
    if (gc === null) return false;
    this.freedSince = 0;
    this.lastAt = now;
    gc({ type: 'major', execution: 'async' });
    return true;
  }
}
