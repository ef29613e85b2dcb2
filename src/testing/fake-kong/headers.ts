/** Header changes as Kong applies them to a multimap (`set`, `add`, `clear`). */
import type { MultiMap } from '../../../generated/index.js';
import type { HeaderOp } from './state.js';

/** Applies one change; names are case-insensitive. */
export function applyHeaderOp(headers: MultiMap, op: HeaderOp): void {
  const key = op.name.toLowerCase();
  if (op.op === 'clear') delete headers[key];
  else if (op.op === 'set') headers[key] = [...op.values];
  else headers[key] = [...(headers[key] ?? []), ...op.values];
}

/** A deep copy of a multimap. */
export function copyHeaders(h: MultiMap): MultiMap {
  const out: MultiMap = {};
  for (const [k, v] of Object.entries(h)) out[k] = [...v];
  return out;
}

/** `get_headers(max)`: at most `max` values (default 100), whole headers at a time. */
export function limitHeaders(h: MultiMap, max: unknown): MultiMap {
  const n = typeof max === 'number' && max > 0 ? max : 100;
  const out: MultiMap = {};
  let count = 0;
  for (const [k, v] of Object.entries(h)) {
    if (count >= n) break;
    out[k] = [...v];
    count += v.length;
  }
  return out;
}
