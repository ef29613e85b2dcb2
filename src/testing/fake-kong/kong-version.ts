/** The simulated Kong version and comparisons against the IDL's `since`/`until` versions. */
import { KitError } from '../errors.js';

/** A Kong version as three numbers. */
export type KongVersion = readonly [number, number, number];

/** A Kong version as three numbers (`3.8` is `[3, 8, 0]`; a suffix such as `-dev` is ignored). */
export function parseVersion(v: string): [number, number, number] {
  const m = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(v);
  if (!m) throw new KitError('usage', `kongVersion must look like 3.9.0, got ${v}`);
  return [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)];
}

/** Negative, zero or positive as `v` is older than, equal to or newer than `other`. */
export function compareVersion(v: KongVersion, other: string): number {
  const o = parseVersion(other);
  for (let i = 0; i < 3; i++) if (v[i] !== o[i]) return v[i]! > o[i]! ? 1 : -1;
  return 0;
}

/** True when `v` is `other` or newer. */
export function versionAtLeast(v: KongVersion, other: string): boolean {
  return compareVersion(v, other) >= 0;
}
