/** Inline plugins for the kit's own tests: a module whose phase handlers are the given functions. */
import type { Kong, Phase } from '../../src/index.js';
import type { KongSchemaField, PluginModule } from '../../src/plugins/module-types.js';

/** A phase handler of an inline plugin: the PDK and the instance's config. */
export type Handler<C> = (kong: Kong, config: C) => unknown;

/** A plugin module implementing exactly the phases given. */
export function inlinePlugin<C = Record<string, unknown>>(
  handlers: Partial<Record<Phase, Handler<C>>>,
  schema: KongSchemaField[] = [],
  name = 'inline',
): PluginModule<C> {
  class Inline {
    constructor(readonly config: C) {}
  }
  for (const [phase, fn] of Object.entries(handlers)) {
    Object.defineProperty(Inline.prototype, phase, {
      value: function (this: Inline, kong: Kong) {
        return fn(kong, this.config);
      },
    });
  }
  return {
    Plugin: Inline,
    Name: name,
    Version: '1.0.0',
    Priority: 10,
    Schema: schema,
    RawBodies: 'buffer',
  };
}

/** An access-only plugin that stores what `fn` returns in `box.value` (or the error in `box.error`). */
export function probe(
  fn: (kong: Kong) => Promise<unknown>,
  phase: Phase = 'access',
): { module: PluginModule<Record<string, unknown>>; box: { value?: unknown; error?: unknown } } {
  const box: { value?: unknown; error?: unknown } = {};
  const module = inlinePlugin({
    [phase]: async (kong: Kong) => {
      try {
        box.value = await fn(kong);
      } catch (e) {
        box.error = e;
      }
    },
  });
  return { module, box };
}
