/**
 * Reads Kong's plugin-server RPC layer, kong/runloop/plugin_servers/**, in every layout from
 * 2.3 to main (2.3: everything in init.lua; ≤ 3.8: init.lua + mp_rpc.lua [+ pb_rpc.lua];
 * 3.9+: plugin.lua + rpc/{mp_rpc,pb_rpc,util}.lua). Rather than trusting file names it looks
 * for the tables and functions themselves in every file:
 *
 *  - `exposed_api = { ["kong.x"] = function … }`: keys that replace a PDK function or exist only there;
 *  - `must_fix = { ["kong.x"] = fix_mmap | fix_raw | true }` (2.x: a boolean set, applied with fix_mmap);
 *  - `by_pdk_method = { ["kong.x"] = "plugin.StepX" }`: the Step method of a result;
 *  - `call_pdk_method`: whether it returns every value of the PDK call or only the first.
 */
import { codeFacts, type CodeFacts } from './code-facts.js';
import { findDefinitions } from './lua-defs.js';
import { codeTokens, is, tokenize, type Token } from './lua-lexer.js';

/** One `exposed_api` entry whose key is a `kong.*` path. */
export interface ExposedEntry {
  key: string;
  /** `kong/runloop/plugin_servers/plugin.lua:52`. */
  source: string;
  /** For a function literal: its parameters and body facts. */
  params?: string[];
  facts?: CodeFacts;
  /** For `= ngx_ssl.get_tls1_version_str`: the aliased name. */
  aliasOf?: string;
}

/** Everything the RPC layer says, per PDK method name. */
export interface PluginServerFacts {
  files: string[];
  exposed: ExposedEntry[];
  resultFix: Record<string, 'multimap' | 'raw_bytes'>;
  steps: Record<string, string>;
  callPdkMethodReturns?: 'first' | 'all';
  warnings: string[];
}

/** The `[key] = value` entries of the table constructor that opens at `open`, at depth 1. */
function tableEntries(tokens: readonly Token[], open: number): { key: string; valueAt: number; line: number }[] {
  const entries: { key: string; valueAt: number; line: number }[] = [];
  let depth = 0;
  for (let k = open; k < tokens.length; k++) {
    const t = tokens[k]!;
    if (is(t, '{') || is(t, '(') || is(t, '[')) {
      if (
        depth === 1 &&
        is(t, '[') &&
        tokens[k + 1]?.kind === 'string' &&
        is(tokens[k + 2], ']') &&
        is(tokens[k + 3], '=')
      ) {
        entries.push({ key: tokens[k + 1]!.value, valueAt: k + 4, line: t.line });
        k += 3;
        continue;
      }
      depth++;
    } else if (is(t, '}') || is(t, ')') || is(t, ']')) {
      depth--;
      if (depth === 0) break;
    } else if (t.kind === 'keyword' && (t.value === 'function' || t.value === 'if' || t.value === 'do')) {
      depth++;
    } else if (t.kind === 'keyword' && t.value === 'end') {
      depth--;
    }
  }
  return entries;
}

/** Finds `name = {` in the token list; returns the index of the `{`. */
function tableNamed(tokens: readonly Token[], name: string): number | undefined {
  for (let k = 0; k + 2 < tokens.length; k++) {
    if (tokens[k]!.kind === 'name' && tokens[k]!.value === name && is(tokens[k + 1], '=') && is(tokens[k + 2], '{'))
      return k + 2;
  }
  return undefined;
}

/** Reads the plugin_servers files given as (path relative to the tree, source). */
export function readPluginServers(files: { path: string; src: string }[]): PluginServerFacts {
  const out: PluginServerFacts = {
    files: files.map((f) => f.path),
    exposed: [],
    resultFix: {},
    steps: {},
    warnings: [],
  };
  for (const file of files) {
    const tokens = codeTokens(tokenize(file.src));
    const defs = findDefinitions(tokens);

    const exposedAt = tableNamed(tokens, 'exposed_api');
    if (exposedAt !== undefined) {
      for (const e of tableEntries(tokens, exposedAt)) {
        if (!e.key.startsWith('kong.')) continue;
        const entry: ExposedEntry = { key: e.key, source: `${file.path}:${e.line}` };
        const def = defs.find((d) => d.stringKey && d.target === e.key && d.line === e.line);
        if (def?.params && def.body) {
          entry.params = def.params;
          entry.facts = codeFacts(file.src, tokens, def.body.from, def.body.to);
        } else if (def?.aliasOf) {
          entry.aliasOf = def.aliasOf;
        }
        out.exposed.push(entry);
      }
    }

    const fixAt = tableNamed(tokens, 'must_fix');
    if (fixAt !== undefined) {
      for (const e of tableEntries(tokens, fixAt)) {
        const v = tokens[e.valueAt]!;
        // 2.x has a boolean set, applied with fix_mmap (the only fix it knows).
        if (v.value === 'fix_raw') out.resultFix[e.key] = 'raw_bytes';
        else if (v.value === 'fix_mmap' || v.value === 'true') out.resultFix[e.key] = 'multimap';
        else out.warnings.push(`${file.path}:${e.line}: must_fix entry ${e.key} has an unknown fix '${v.value}'`);
      }
    }

    const stepAt = tableNamed(tokens, 'by_pdk_method');
    if (stepAt !== undefined) {
      for (const e of tableEntries(tokens, stepAt)) {
        const v = tokens[e.valueAt]!;
        if (v.kind === 'string') out.steps[e.key] = v.value;
      }
    }

    const call = defs.find((d) => d.last === 'call_pdk_method' && d.body);
    if (call?.body) {
      const text = codeFacts(file.src, tokens, call.body.from, call.body.to).text;
      // 2.x: `return method(unpack(args))` hands every value on; 3.0+: `ret = method(…)` keeps one.
      if (/\breturn\s+(?:fix_mmap\s*\(\s*)?method\s*\(/.test(text)) out.callPdkMethodReturns = 'all';
      else if (/\b(\w+)\s*=\s*method\s*\(/.test(text)) out.callPdkMethodReturns = 'first';
    }
  }
  // 2.3 applies the multimap fix inside exposed_api wrappers (`rpc.fix_mmap(kong.request.get_query(max))`).
  for (const e of out.exposed) {
    if (e.facts && /\bfix_mmap\s*\(/.test(e.facts.text)) out.resultFix[e.key] ??= 'multimap';
  }
  return out;
}
