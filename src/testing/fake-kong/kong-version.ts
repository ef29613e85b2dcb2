/**
 * The simulated Kong version. Ordering uses the project's one comparator
 * (common/kong-version.ts); the kit simulates releases, not Kong's `main`.
 */
import { compareKongVersions, parseKongVersion } from '../../../common/kong-version.js';
import { KitError } from '../errors.js';

/** `[major, minor, patch]` of a Kong release label (`3.8` is `[3, 8, 0]`; a `-suffix` is ignored). */
export function releaseParts(label: string): [number, number, number] {
  const v = parseKongVersion(label);
  if (!v || v.main) throw new KitError('usage', `kongVersion must be a Kong release such as 3.9.0, got ${label}`);
  return [v.parts[0] ?? 0, v.parts[1] ?? 0, v.parts[2] ?? 0];
}

/** True when the Kong release `label` is `other` or newer. */
export function versionAtLeast(label: string, other: string): boolean {
  return compareKongVersions(label, other) >= 0;
}

/** True when a function of Kong's `since`/`until` range exists in the Kong release `label`. */
export function withinRange(label: string, since: string | undefined, until: string | undefined): boolean {
  return (!since || compareKongVersions(label, since) >= 0) && (!until || compareKongVersions(label, until) <= 0);
}
