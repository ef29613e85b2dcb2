/** esbuild, loaded on first use only: the server needs it for TypeScript plugins and syntax-error locations. */
import type * as esbuild from 'esbuild';
import { createRequire } from 'node:module';

// A synchronous load on demand: the require hook that compiles `.ts` plugins runs synchronously,
// so a dynamic import() (a promise) cannot serve it, and a top-level import would load esbuild
// at every start.
const loadModule = createRequire(__filename);

let loaded: typeof esbuild | undefined;

/** The esbuild module (its native binary starts on the first transform). */
export function lazyEsbuild(): typeof esbuild {
  loaded ??= loadModule('esbuild') as typeof esbuild;
  return loaded;
}
