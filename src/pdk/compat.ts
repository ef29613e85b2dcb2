/**
 * kong-js-pdk compatibility for PDK names the IDL does not know (Kong Enterprise functions,
 * or names from a newer Kong): like kong-js-pdk, `kong.a.bC(...)` is sent to Kong as
 * `kong.a.b_c`, and Kong answers nil for a name it lacks ("could not find pdk method").
 * Known names never come here: they are generated methods.
 */
import type { PdkTransport, UnknownPdkMemberHandler } from '../../generated/index.js';
import type { Logger } from '../log.js';

/** kong-js-pdk's rule: an uppercase letter after a lowercase one starts a new `_` segment. */
export function kongJsPdkName(camel: string): string {
  return camel.replace(/[a-z][A-Z]/g, (s) => `${s[0]}_${s[1]}`.toLowerCase());
}

function dynamicMember(t: PdkTransport, path: string): unknown {
  const call = (...args: unknown[]): Promise<unknown> => t.call(path, args, 0);
  return new Proxy(call, {
    get(target, prop) {
      if (typeof prop !== 'string' || prop === 'then' || prop in Function.prototype) return Reflect.get(target, prop);
      return dynamicMember(t, `${path}.${kongJsPdkName(prop)}`);
    },
  });
}

/** A handler for the PDK clients of one server: forwards unknown names to Kong, warning on `logger` once per name. */
export function kongJsPdkFallback(logger: Logger): UnknownPdkMemberHandler {
  const warned = new Set<string>();
  return (t, modulePath, member) => {
    const path = `${modulePath}.${kongJsPdkName(member)}`;
    if (!warned.has(path)) {
      warned.add(path);
      logger.warn(
        `a plugin uses ${modulePath}.${member}, which this PDK does not know; forwarding it to Kong as ${path} (as kong-js-pdk does)`,
      );
    }
    return dynamicMember(t, path);
  };
}
