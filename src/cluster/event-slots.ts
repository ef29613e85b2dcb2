/**
 * Event ids name the worker that owns the event: a worker of slot `s` among `n` hands out only
 * ids with `id % n === s`, so any worker can tell where a Step must go without asking anyone.
 * A replacement worker starts past the ids its dead predecessor may have used, and answers
 * Steps in that range with the "event lost" error rather than "no running event".
 */
import { randomInt } from 'node:crypto';
import type { IdRange } from './messages.js';

const MAX_ID = 0x7fffffff;
/** Ids a worker may hand out between two heartbeats, with a wide margin (per stride step). */
const HEARTBEAT_MARGIN = 1 << 17;

/** The slot owning `eventId`. */
export function ownerSlot(eventId: number, slots: number): number {
  return eventId % slots;
}

/** The smallest positive id of slot `slot`, at or above `from`. */
function alignUp(from: number, slot: number, slots: number): number {
  const base = from - (from % slots) + slot;
  const id = base < from ? base + slots : base;
  return id >= 1 ? id : id + slots;
}

/** Where the first worker of a slot starts: a random point, as a single-process server does. */
export function firstEventId(slot: number, slots: number): number {
  return alignUp(randomInt(1, 0x40000000), slot, slots);
}

/**
 * Where the successor of a dead worker starts, and the ids the dead one may have handed out.
 * `start` is where the dead worker started; `lastNext` its last reported next id.
 */
export function successorIds(
  start: number,
  lastNext: number,
  slot: number,
  slots: number,
): { start: number; lost: IdRange[] } {
  let next = lastNext + HEARTBEAT_MARGIN * slots;
  const wrapped = next > MAX_ID - slots;
  if (wrapped) next = alignUp(next - MAX_ID, slot, slots);
  const succ = alignUp(next, slot, slots);
  // The predecessor used [start, succ), going round the top if it wrapped.
  const lost: IdRange[] =
    start <= succ && !wrapped && lastNext >= start
      ? [[start, succ]]
      : [
          [start, MAX_ID + 1],
          [1, succ],
        ];
  return { start: succ, lost };
}

/** True when `id` lies in one of `ranges`. */
export function inRanges(id: number, ranges: readonly IdRange[]): boolean {
  for (const [lo, hi] of ranges) if (id >= lo && id < hi) return true;
  return false;
}
