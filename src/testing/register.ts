/**
 * `node --require kong-ts-pdk/testing/register --test my-plugin.test.ts`: lets Node load
 * TypeScript test files (and the plugins they import) with no build step, using the same
 * esbuild transform the plugin server uses for `.ts` plugins. Types are stripped, not checked:
 * run `tsc --noEmit` for that.
 */
import { registerTypeScriptLoader } from '../plugins/typescript-loader.js';

registerTypeScriptLoader();
