/**
 * Lets `require` load TypeScript plugin files with no build step. esbuild's transform strips
 * types in about a millisecond per file, so loading a TS plugin adds almost nothing to the
 * dump Kong runs at every start; it is only loaded when a TypeScript plugin is found.
 */
import * as fs from 'node:fs';
import Module from 'node:module';
import { lazyEsbuild } from './lazy-esbuild.js';

let registered = false;

type CompilableModule = Module & { _compile(code: string, filename: string): void };

/** Installs the `.ts`/`.cts`/`.mts` require hooks once. */
export function registerTypeScriptLoader(): void {
  if (registered) return;
  registered = true;
  const esbuild = lazyEsbuild();
  const extensions = (Module as unknown as { _extensions: Record<string, (m: Module, f: string) => void> })._extensions;
  const compile = (m: Module, filename: string): void => {
    const source = fs.readFileSync(filename, 'utf8');
    const out = esbuild.transformSync(source, {
      loader: 'ts',
      format: 'cjs',
      target: 'node20',
      sourcefile: filename,
      // Stack traces point at the plugin's own lines once source maps are on (see the loader).
      sourcemap: 'inline',
      sourcesContent: false,
    });
    (m as CompilableModule)._compile(out.code, filename);
  };
  for (const ext of ['.ts', '.cts', '.mts']) extensions[ext] = compile;
}
