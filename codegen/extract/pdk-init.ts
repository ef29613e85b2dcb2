/**
 * Reads kong/pdk/init.lua for the list of PDK modules Kong loads (`MAJOR_MODULES` from 3.0,
 * `MAJOR_VERSIONS[1].modules` before) and the ones added only in one nginx subsystem
 * (`if ngx.config.subsystem == 'http' then table.insert(…, 'client.tls') end`). A function
 * documented in a file that is not loaded is not callable, so the extractor must know.
 */
import { codeTokens, is, tokenize, type Token } from './lua-lexer.js';

/** The modules of kong/pdk/init.lua. */
export interface PdkModules {
  /** Every module, subsystem-only ones included, e.g. `client.tls`. */
  loaded: string[];
  subsystemOnly: Record<string, 'http' | 'stream'>;
}

/** Reads the string entries of the table constructor opening at `open` (a `{`). */
function stringEntries(tokens: readonly Token[], open: number): { values: string[]; close: number } {
  const values: string[] = [];
  let depth = 0;
  for (let k = open; k < tokens.length; k++) {
    const t = tokens[k]!;
    if (is(t, '{')) depth++;
    else if (is(t, '}')) {
      depth--;
      if (depth === 0) return { values, close: k };
    } else if (depth === 1 && t.kind === 'string' && (is(tokens[k + 1], ',') || is(tokens[k + 1], '}')))
      values.push(t.value);
  }
  return { values, close: tokens.length };
}

/** Reads the module list of an init.lua source. */
export function readPdkModules(src: string): PdkModules {
  const tokens = codeTokens(tokenize(src));
  const loaded: string[] = [];
  const subsystemOnly: Record<string, 'http' | 'stream'> = {};
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k]!;
    // MAJOR_MODULES = { … }   /   modules = { … }
    if (t.kind === 'name' && /MODULES$|^modules$/.test(t.value) && is(tokens[k + 1], '=') && is(tokens[k + 2], '{')) {
      const { values, close } = stringEntries(tokens, k + 2);
      loaded.push(...values.filter((v) => !loaded.includes(v)));
      k = close;
      continue;
    }
    // if ngx.config.subsystem == 'http' then table.insert(X, 'client.tls') end
    if (
      t.kind === 'name' &&
      t.value === 'subsystem' &&
      is(tokens[k - 1], '.') &&
      is(tokens[k + 1], '==') &&
      tokens[k + 2]?.kind === 'string'
    ) {
      const subsystem = tokens[k + 2]!.value;
      for (let j = k + 3; j < tokens.length && !is(tokens[j], 'end'); j++) {
        if (tokens[j]!.value === 'insert' && is(tokens[j - 1], '.') && tokens[j - 2]?.value === 'table') {
          // table.insert(list, 'name'): the last string before `)`.
          let m = j;
          while (m < tokens.length && !is(tokens[m], ')')) m++;
          const name = tokens[m - 1];
          if (name?.kind === 'string' && (subsystem === 'http' || subsystem === 'stream')) {
            if (!loaded.includes(name.value)) loaded.push(name.value);
            subsystemOnly[name.value] = subsystem;
          }
        }
      }
    }
  }
  return { loaded, subsystemOnly };
}
