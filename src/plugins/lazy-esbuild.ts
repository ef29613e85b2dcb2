/** esbuild, loaded on first use only: the server needs it for TypeScript plugins and syntax-error locations. */
import type * as esbuild from 'esbuild';

let loaded: typeof esbuild | undefined;

/** The esbuild module (its native binary starts on the first transform). */
export function lazyEsbuild(): typeof esbuild {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a top-level import would load it at every start
  loaded ??= require('esbuild') as typeof esbuild;
  return loaded;
}
