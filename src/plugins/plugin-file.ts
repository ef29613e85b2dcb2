/**
 * What a plugin file is called: the extensions the loader accepts and the name a file gives its
 * plugin. One definition, used by the loader, the sidecar lookup and the schema derivation.
 */
import * as path from 'node:path';

/** Extensions of plugin files, JavaScript first. */
export const PLUGIN_EXTENSIONS: readonly string[] = ['.js', '.cjs', '.mjs', '.ts', '.cts', '.mts'];

// `.js .cjs .mjs .ts .cts .mts`, the same set as PLUGIN_EXTENSIONS.
const PLUGIN_EXTENSION = /\.[cm]?[jt]s$/;
const TYPESCRIPT_EXTENSION = /\.[cm]?ts$/;
const TEST_FILE = /\.(test|spec)\.[cm]?[jt]s$/;

/** `file` without its plugin extension (`a/b.ts` → `a/b`); other names are returned as they are. */
export function withoutPluginExtension(file: string): string {
  return file.replace(PLUGIN_EXTENSION, '');
}

/** The plugin name a file or directory gives when its module exports no `Name` (before lower-casing). */
export function pluginBaseName(file: string): string {
  return withoutPluginExtension(path.basename(file));
}

/** True for `.ts`, `.cts` and `.mts` files. */
export function isTypeScriptFile(file: string): boolean {
  return TYPESCRIPT_EXTENSION.test(file);
}

/** True for test files beside plugins (`x.test.ts`, `x.spec.js`), which are never plugins. */
export function isTestFile(name: string): boolean {
  return TEST_FILE.test(name);
}
