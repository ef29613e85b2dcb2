/**
 * Makes `require('kong-ts-pdk')` (and `import` from a `.ts` plugin, which esbuild turns into a
 * `require`) in plugin code resolve to the copy of the package that runs the server. Plugins
 * live in Kong's plugins directory, usually outside any project that installs the package, so
 * Node's own lookup finds nothing there; and where a plugin has a copy of its own, using the
 * server's copy keeps `instanceof PdkError` true for the errors the server's PDK throws.
 */
import Module from 'node:module';
import { pathToFileURL } from 'node:url';

/** The package name plugins import. */
export const PACKAGE_NAME = 'kong-ts-pdk';

type ResolveFilename = (request: string, parent: unknown, isMain: boolean, options?: unknown) => string;

let installed = false;
let esmInstalled = false;

/** True for `kong-ts-pdk` and its subpaths (`kong-ts-pdk/testing`). */
export function isPackageRequest(request: string): boolean {
  return request === PACKAGE_NAME || request.startsWith(`${PACKAGE_NAME}/`);
}

/** Installs the resolution hook once; other module names resolve as Node resolves them. */
export function installPackageSelfResolution(): void {
  if (installed) return;
  installed = true;
  const M = Module as unknown as { _resolveFilename: ResolveFilename };
  const original = M._resolveFilename;
  M._resolveFilename = function (this: unknown, request, parent, isMain, options) {
    if (isPackageRequest(request)) {
      // Resolved as if this file asked: a self-reference through the package's `exports`.
      try {
        return original.call(this, request, module, false);
      } catch {
        // A subpath this copy lacks: let Node look where the plugin is.
      }
    }
    return original.call(this, request, parent, isMain, options);
  };
}

/**
 * The same for ES module plugins (`.mjs`, or `.js` under `"type": "module"`), whose imports do
 * not go through `require`: a resolve hook that resolves the name as if this file imported it.
 * Installed only when such a plugin is loaded: Node runs module hooks on a thread of their own,
 * which costs a dump tens of milliseconds.
 */
export function installEsmPackageSelfResolution(): void {
  if (esmInstalled) return;
  esmInstalled = true;
  const register = (Module as unknown as { register?: (url: string, options: { data: unknown }) => void }).register;
  if (typeof register !== 'function') return;
  const name = JSON.stringify(PACKAGE_NAME);
  const hooks = [
    'let parentURL;',
    'export function initialize(data) { parentURL = data.parentURL; }',
    'export async function resolve(specifier, context, next) {',
    `  if (specifier === ${name} || specifier.startsWith(${name} + '/')) {`,
    '    try { return await next(specifier, { ...context, parentURL }); } catch {}',
    '  }',
    '  return next(specifier, context);',
    '}',
  ].join('\n');
  register(`data:text/javascript,${encodeURIComponent(hooks)}`, {
    data: { parentURL: pathToFileURL(__filename).href },
  });
}
