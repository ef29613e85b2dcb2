/**
 * Gives memory back after the TTL frees a flood of abandoned events. V8 runs a full collection
 * only under allocation pressure, so an idle server keeps the old-space pages of tens of
 * thousands of freed events mapped (hundreds of MB of RSS) indefinitely. After a sweep frees
 * many events, this asks V8 for a full collection, run as a task, at most every few seconds, and
 * two more a second apart: the first frees the events, the next ones compact the pages they left
 * half-empty and shrink the young generation the flood had grown (measured: RSS back within about
 * 10 MB of its level before a wave of 300,000 abandoned events, against +30 MB after one collection).
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
  private followUp: NodeJS.Timeout | undefined;

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
    this.scheduleFollowUps(gc, 2);
    return true;
  }

  /** Stops a pending follow-up collection (server shutdown). */
  stop(): void {
    if (this.followUp !== undefined) clearTimeout(this.followUp);
    this.followUp = undefined;
  }

  private scheduleFollowUps(gc: Collect, left: number): void {
    this.stop();
    if (left === 0) return;
    this.followUp = setTimeout(() => {
      this.followUp = undefined;
      gc({ type: 'major', execution: 'async' });
      this.scheduleFollowUps(gc, left - 1);
    }, 1000);
    this.followUp.unref();
  }
}
