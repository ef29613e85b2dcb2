/**
 * Which PDK calls in a plugin's source a given Kong version lacks. A plugin that declares
 * `MinKongVersion` gets a warning at dump time for each such call (the dump runs at every
 * Kong start, so the operator sees it before the first request fails with a nil result).
 *
 * The scan is textual — `request.getRawPath(` after a `kong.`-rooted module path — so it
 * finds direct calls, not calls through aliases; it never blocks a plugin.
 */
import { compareKongVersions } from '../../common/kong-version.js';
import { PDK_FUNCTIONS } from '../../generated/index.js';

/** A call the target Kong version does not have. */
export interface TooNewCall {
  /** Kong's name, e.g. `kong.request.get_raw_path`. */
  name: string;
  /** The client's spelling found in the source. */
  camel: string;
  /** The first tracked Kong release that has it. */
  since: string;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The PDK calls in `source` that Kong `minVersion` does not have yet. */
export function callsNewerThan(source: string, minVersion: string): TooNewCall[] {
  const found: TooNewCall[] = [];
  for (const info of PDK_FUNCTIONS.values()) {
    if (info.since === undefined || compareKongVersions(info.since, minVersion) <= 0) continue;
    // `kong.request.getRawPath` → `<root>.request.getRawPath(`, the root a bare identifier (the
    // PDK object may be named anything), so `kong.service.request.x(` never counts as `request.x(`.
    const tail = info.camel.slice('kong.'.length);
    if (new RegExp(`(?<![\\w$.])[A-Za-z_$][\\w$]*\\.${escapeRegExp(tail)}\\s*\\(`).test(source)) {
      found.push({ name: info.name, camel: info.camel, since: info.since });
    }
  }
  return found;
}
