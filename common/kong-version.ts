/**
 * Kong release labels and their order: the one comparator of the project. The runtime (the
 * dump's target-version check), the test kit and the extractor all order Kong versions with it.
 *
 * It lives in common/ because both sides need it and neither may import the other: codegen/
 * and generated/ import nothing from src/, and the runtime imports nothing from codegen/.
 * Modules in common/ import nothing at all, so either side can depend on them.
 *
 * A label is `main` (Kong's development branch, newer than every release) or dotted numbers
 * (`3.9.0`, `3.4`, an Enterprise `3.4.3.5`) optionally followed by a `-`/`+` suffix
 * (`3.9.0-rc.1`), which is ignored. Missing parts count as 0 (`3.4` = `3.4.0`).
 */

/** A parsed Kong version. */
export type KongVersion = { readonly main: true } | { readonly main: false; readonly parts: readonly number[] };

/** The label of Kong's development branch. */
export const KONG_MAIN = 'main';

const RELEASE = /^(\d+(?:\.\d+)*)(?:[-+].*)?$/;

/** Parses a Kong version label; undefined when it is not one. */
export function parseKongVersion(label: string): KongVersion | undefined {
  if (label === KONG_MAIN) return { main: true };
  const m = RELEASE.exec(label);
  return m ? { main: false, parts: m[1]!.split('.').map(Number) } : undefined;
}

/** True when `label` is a Kong version label this module can order. */
export function isKongVersion(label: string): boolean {
  return parseKongVersion(label) !== undefined;
}

function parsed(label: string): KongVersion {
  const v = parseKongVersion(label);
  if (!v) throw new TypeError(`not a Kong version: ${JSON.stringify(label)} (expected e.g. 3.9.0 or main)`);
  return v;
}

/** Orders two parsed versions: negative, 0 or positive, as `Array.prototype.sort` wants. */
export function compareParsedKongVersions(a: KongVersion, b: KongVersion): -1 | 0 | 1 {
  if (a.main || b.main) return a.main === b.main ? 0 : a.main ? 1 : -1;
  for (let i = 0; i < Math.max(a.parts.length, b.parts.length); i++) {
    const d = (a.parts[i] ?? 0) - (b.parts[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/** Orders two Kong version labels (-1, 0, 1); throws a TypeError on a label that is not one. */
export function compareKongVersions(a: string, b: string): -1 | 0 | 1 {
  return compareParsedKongVersions(parsed(a), parsed(b));
}
