/** Kong's argument checks: the Lua errors its PDK functions raise on a bad argument. */
import type { NgxArg } from '../http.js';
import { KongRaise } from '../errors.js';
import { cjsonEncode, isPlainObject, luaToString } from '../lua.js';

/** An integer in `[min, max]`, or Kong's error. */
export function int(method: string, what: string, v: unknown, min: number, max: number): number {
  if (!Number.isInteger(v) || (v as number) < min || (v as number) > max) {
    throw new KongRaise(`${method}: ${what} must be an integer between ${min} and ${max}: given ${luaToString(v)}`);
  }
  return v as number;
}

/** A string (bytes count as their UTF-8 text), or Kong's error. */
export function str(method: string, what: string, v: unknown): string {
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (typeof v !== 'string') throw new KongRaise(`${method}: ${what} must be a string`);
  return v;
}

/** A Lua table (an object or an array), or Kong's error. */
export function table(method: string, what: string, v: unknown): Record<string, unknown> | unknown[] {
  if (!isPlainObject(v) && !Array.isArray(v)) throw new KongRaise(`${method}: ${what} must be a table`);
  return v;
}

/** The values of a header a plugin sets: a scalar or a list of strings. */
export function headerValues(method: string, name: unknown, value: unknown): string[] {
  if (typeof name !== 'string' || name === '') throw new KongRaise(`${method}: header name must be a string`);
  const ok = (x: unknown) =>
    typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean' || Buffer.isBuffer(x);
  if (ok(value)) return [Buffer.isBuffer(value) ? value.toString('utf8') : String(value)];
  if (Array.isArray(value) && value.every((x) => typeof x === 'string' || Buffer.isBuffer(x)))
    return value.map((x) => (Buffer.isBuffer(x) ? x.toString('utf8') : String(x)));
  throw new KongRaise(
    `${method}: invalid header value for "${name}": got ${value === undefined ? 'nil' : typeof value}, expected array of string, string, number or boolean`,
  );
}

/** The first value of a parsed query argument. */
export function firstArg(v: NgxArg | undefined): string | true | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** The body of `kong.response.exit`: bytes, text or a table Kong JSON-encodes. */
export function exitBody(method: string, body: unknown): { raw: Buffer; contentType?: string } {
  if (body === undefined || body === null) return { raw: Buffer.alloc(0) };
  if (typeof body === 'string') return { raw: Buffer.from(body, 'utf8') };
  if (Buffer.isBuffer(body)) return { raw: body };
  if (isPlainObject(body) || Array.isArray(body))
    return { raw: Buffer.from(cjsonEncode(body)), contentType: 'application/json; charset=utf-8' };
  throw new KongRaise(`${method}: body must be a nil, string or table`);
}

/** The headers of `kong.response.exit`/`error`, names lower-cased. */
export function exitHeaders(method: string, h: unknown): Record<string, string | string[]> {
  if (h === undefined || h === null) return {};
  if (!isPlainObject(h)) throw new KongRaise(`${method}: headers must be a nil or table`);
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(h)) {
    const values = headerValues(method, k, v);
    out[k.toLowerCase()] = Array.isArray(v) ? values : values[0]!;
  }
  return out;
}
