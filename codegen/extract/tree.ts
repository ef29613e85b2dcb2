/**
 * Extracts one Kong source tree: the documented PDK functions (kong/pdk), the modules Kong
 * loads (kong/pdk/init.lua), the plugin-server RPC layer (kong/runloop/plugin_servers/**) and
 * the ProtoBuf service (pluginsocket.proto), assembled into pdk.yaml entries in Kong's own
 * terms, with every doc defect met.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { codeTokens, is, tokenize } from './lua-lexer.js';
import { unsendableType } from './lua-types.js';
import type { Defect, MsgpackInfo, PdkFunction, PdkParam, PhaseDisagreement, TreeExtraction } from './model.js';
import { readPdkModules } from './pdk-init.js';
import { DefectLog, readPdkFile, type FunctionDraft } from './pdk-module.js';
import { decidePhases, readPhaseVocabulary, type PhaseVocabulary } from './phase-checks.js';
import { readPluginServers, type ExposedEntry } from './plugin-servers.js';
import { luaTypeOfProto, paramsOfProto, readProto, type ProtoFile, type ProtoRpc } from './proto.js';
import type { RuleBook } from './rules.js';

/** How to read a tree. */
export interface TreeOptions {
  /** `2.8.0`, …, `main`; default: kong/meta.lua's version. */
  label?: string;
  /** The commit the tree was taken from; default: read from `<root>/.git` when there is one. */
  commit?: string;
  book: RuleBook;
  /**
   * The phases whose membership a function's code phase check decides (rpc.yaml's `phases`:
   * those a plugin server runs in); for the others the `@phases` doc stays. Absent: every phase.
   */
  codeDecides?: readonly string[];
}

/** Thrown when the path is not a Kong source tree. */
export class TreeError extends Error {}

/** kong/meta.lua's `major`, `minor`, `patch` and (uncommented) `suffix`. */
export function readMetaVersion(src: string): { base: string; suffix: string } {
  const tokens = codeTokens(tokenize(src));
  const get = (key: string): string | undefined => {
    for (let k = 0; k + 2 < tokens.length; k++) {
      if (tokens[k]!.kind === 'name' && tokens[k]!.value === key && is(tokens[k + 1], '=')) return tokens[k + 2]!.value;
    }
    return undefined;
  };
  const [major, minor, patch] = [get('major'), get('minor'), get('patch')];
  if (!major || !minor || !patch) throw new TreeError('kong/meta.lua has no major/minor/patch version');
  return { base: `${major}.${minor}.${patch}`, suffix: get('suffix') ?? '' };
}

/** The commit of a git work tree (`.git` directory or a worktree's `.git` file), if there is one. */
export function readGitHead(root: string): string | undefined {
  try {
    let gitDir = path.join(root, '.git');
    if (fs.statSync(gitDir).isFile()) {
      const m = /^gitdir:\s*(.+)$/m.exec(fs.readFileSync(gitDir, 'utf8'));
      if (!m) return undefined;
      gitDir = path.resolve(root, m[1]!.trim());
    }
    const head = fs.readFileSync(path.join(gitDir, 'HEAD'), 'utf8').trim();
    if (/^[0-9a-f]{40}$/.test(head)) return head;
    const ref = /^ref:\s*(.+)$/.exec(head)?.[1];
    if (!ref) return undefined;
    // A worktree keeps its refs in the common directory.
    const common = fs.existsSync(path.join(gitDir, 'commondir'))
      ? path.resolve(gitDir, fs.readFileSync(path.join(gitDir, 'commondir'), 'utf8').trim())
      : gitDir;
    for (const dir of [gitDir, common]) {
      const loose = path.join(dir, ref);
      if (fs.existsSync(loose)) return fs.readFileSync(loose, 'utf8').trim();
      const packed = path.join(dir, 'packed-refs');
      if (fs.existsSync(packed)) {
        const line = fs
          .readFileSync(packed, 'utf8')
          .split('\n')
          .find((l) => l.endsWith(` ${ref}`));
        if (line) return line.split(' ')[0];
      }
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/** Lua files under `dir` (recursively), as paths relative to `root`, sorted byte-wise (client.lua before client/tls.lua). */
function luaFiles(root: string, dir: string): string[] {
  const abs = path.join(root, dir);
  if (!fs.existsSync(abs)) return [];
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const e of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const child = `${rel}/${e.name}`;
      if (e.isDirectory()) walk(child);
      else if (e.name.endsWith('.lua')) out.push(child);
    }
  };
  walk(dir);
  return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

const SAVED = /\bget_saved\w*\s*\(|save_for_later\s*\[/;

/** Extracts one tree. */
export function extractTree(root: string, opts: TreeOptions): TreeExtraction {
  const read = (rel: string): string => fs.readFileSync(path.join(root, rel), 'utf8');
  if (!fs.existsSync(path.join(root, 'kong/pdk/init.lua')))
    throw new TreeError(`${root} is not a Kong source tree (no kong/pdk/init.lua)`);
  const meta = fs.existsSync(path.join(root, 'kong/meta.lua'))
    ? readMetaVersion(read('kong/meta.lua'))
    : { base: '0.0.0', suffix: '' };
  const label = opts.label ?? meta.base;
  const version = `${meta.base}${meta.suffix || (label === 'main' ? '-dev' : '')}`;
  const commit = opts.commit ?? readGitHead(root);

  const modules = readPdkModules(read('kong/pdk/init.lua'));
  const warnings: string[] = [];
  const defects: Defect[] = [];
  const undocumented: string[] = [];

  // 1. kong/pdk: the documented functions of every loaded module, with the phase vocabulary
  // their code checks against.
  const phasesFile = 'kong/pdk/private/phases.lua';
  const vocabulary: PhaseVocabulary | undefined = fs.existsSync(path.join(root, phasesFile))
    ? readPhaseVocabulary(codeTokens(tokenize(read(phasesFile))))
    : undefined;
  if (!vocabulary) warnings.push(`${phasesFile} not found: phases are read from the doc comments only`);
  const drafts: { draft: FunctionDraft; module: string }[] = [];
  for (const rel of luaFiles(root, 'kong/pdk')) {
    const module = rel.slice('kong/pdk/'.length, -'.lua'.length).replace(/\//g, '.');
    if (module === 'init' || module.startsWith('private.')) continue;
    const res = readPdkFile(rel, module, read(rel), opts.book, vocabulary);
    if (!modules.loaded.includes(module)) {
      if (res.functions.length)
        warnings.push(
          `${rel}: module ${module} is not loaded by kong/pdk/init.lua; its ${res.functions.length} documented functions are left out`,
        );
      continue;
    }
    defects.push(...res.defects);
    warnings.push(...res.warnings);
    undocumented.push(...res.undocumented);
    for (const draft of res.functions) drafts.push({ draft, module });
  }

  // 2. The RPC layer and the proto.
  const serverFiles = luaFiles(root, 'kong/runloop/plugin_servers');
  const servers = readPluginServers(serverFiles.map((p) => ({ path: p, src: read(p) })));
  warnings.push(...servers.warnings);
  const protoPath = ['kong/include/kong/pluginsocket.proto', 'kong/pluginsocket.proto'].find((p) =>
    fs.existsSync(path.join(root, p)),
  );
  const proto: ProtoFile | undefined = protoPath ? readProto(read(protoPath)) : undefined;
  const rpcByMethod = new Map<string, ProtoRpc>((proto?.rpcs ?? []).map((r) => [r.method, r]));
  const exposedByKey = new Map<string, ExposedEntry>(servers.exposed.map((e) => [e.key, e]));

  const log = new DefectLog(opts.book);
  const phaseDisagreements: PhaseDisagreement[] = [];
  for (const { draft } of drafts) {
    if (!draft.codePhases || !vocabulary) continue;
    const decided = decidePhases(draft.phases, draft.codePhases.phases, vocabulary, opts.codeDecides);
    if (!decided.disagree) continue;
    phaseDisagreements.push({
      function: draft.name,
      source: `${draft.source.replace(/:\d+$/, '')}:${draft.codePhases.line}`,
      ...(draft.phases ? { doc: draft.phases } : {}),
      check: draft.codePhases.written,
      code: draft.codePhases.phases,
      added: decided.added,
      removed: decided.removed,
    });
    // The code wins: the phases it decides replace the doc's.
    if (decided.added.length || decided.removed.length) {
      draft.phases = decided.phases;
      if (draft.phaseConditions) {
        for (const p of decided.removed) delete draft.phaseConditions[p];
        if (Object.keys(draft.phaseConditions).length === 0) delete draft.phaseConditions;
      }
    }
  }
  const functions: PdkFunction[] = drafts.map(({ draft, module }) =>
    assemble(draft, module, {
      modules,
      exposedByKey,
      rpcByMethod,
      steps: servers.steps,
      resultFix: servers.resultFix,
      book: opts.book,
      log,
    }),
  );
  const names = new Set(functions.map((f) => f.name));

  // 3. exposed_api keys that are no PDK function: the RPC-only functions.
  for (const e of servers.exposed) {
    if (names.has(e.key)) continue;
    functions.push(rpcOnly(e, proto, rpcByMethod.get(e.key)));
    names.add(e.key);
  }
  for (const r of proto?.rpcs ?? []) {
    if (!names.has(r.method))
      warnings.push(`${protoPath}:${r.line}: rpc ${r.rpc} reaches ${r.method}, which is not a documented PDK function`);
  }
  defects.push(...log.defects);
  if (!servers.callPdkMethodReturns && serverFiles.length)
    warnings.push('plugin_servers: could not tell whether call_pdk_method keeps one return value or all');

  return {
    label,
    version,
    ...(commit ? { commit } : {}),
    functions,
    defects,
    warnings,
    rpc: {
      files: servers.files,
      ...(servers.callPdkMethodReturns ? { callPdkMethodReturns: servers.callPdkMethodReturns } : {}),
      ...(protoPath ? { proto: protoPath } : {}),
    },
    modules,
    undocumented,
    phaseDisagreements,
  };
}

interface AssembleContext {
  modules: { subsystemOnly: Record<string, 'http' | 'stream'> };
  exposedByKey: Map<string, ExposedEntry>;
  rpcByMethod: Map<string, ProtoRpc>;
  steps: Record<string, string>;
  resultFix: Record<string, 'multimap' | 'raw_bytes'>;
  book: RuleBook;
  log: DefectLog;
}

/** A documented function, with what the RPC layer does to it. */
function assemble(d: FunctionDraft, module: string, ctx: AssembleContext): PdkFunction {
  const override = ctx.exposedByKey.get(d.name);
  // An override taking fewer arguments than the PDK function supplies the rest itself (or not at
  // all): an undocumented parameter past its arity is not the caller's to pass.
  const arity = override?.params && !override.params.includes('...') ? override.params.length : Infinity;
  const dropped: string[] = [];
  const params: PdkParam[] = [];
  d.params.forEach((p, i) => {
    if (!p.documented && i >= arity) {
      dropped.push(p.name);
      return;
    }
    if (p.vararg)
      params.push({ name: '...', vararg: true, type: p.type, ...(p.documented ? {} : { documented: false }) });
    else
      params.push({
        name: p.name,
        type: p.type,
        ...(p.optional ? { optional: true } : {}),
        ...(p.documented ? {} : { documented: false }),
      });
  });

  const returns = d.returns.map((r) => ({ type: r.type, ...(r.error ? { error: true } : {}) }));
  const nilErr = returns.some((r) => r.error);
  const codeNilErr = Boolean(d.facts?.returnsNilErr) && !nilErr;
  if (codeNilErr)
    ctx.log.add('undocumented_nil_err', d.name, d.source, 'the code returns (nil, err) but the docs do not say so');
  for (const rule of ctx.book.candidates('wrong_treturn', d.name)) {
    if (d.returns[0]?.type === rule.documented) {
      ctx.log.add(
        'wrong_treturn',
        d.name,
        d.source,
        `@treturn says ${rule.documented}, but the code returns ${rule.actual}${rule.repaired_in ? ` (typed in ${rule.repaired_in})` : ''}`,
        { documented: rule.documented },
      );
    }
  }
  for (const rule of ctx.book.candidates('optional_undocumented', d.name)) {
    const p = params.find((x) => x.name === rule.param);
    if (p && !p.optional)
      ctx.log.add(
        'optional_undocumented',
        d.name,
        d.source,
        `parameter '${rule.param}' is documented as required, but the code works without it`,
        { param: rule.param },
      );
  }

  const msgpack: MsgpackInfo = {};
  const problems: string[] = [];
  const limitations: string[] = [];
  if (d.colon) problems.push('colon method (needs self)');
  for (const p of params) {
    const bad = unsendableType(p.type);
    if (bad) (p.optional || p.vararg ? limitations : problems).push(`param ${p.name} is ${bad}`);
  }
  for (const r of ctx.book.msgpackFor(d.name)) {
    if (r.problem) problems.push(r.problem);
    if (r.limitation) limitations.push(r.limitation);
  }
  if (problems.length) msgpack.callable = false;
  const step = ctx.steps[d.name];
  if (step && step !== 'plugin.Step') msgpack.step = step;
  const fix = ctx.resultFix[d.name];
  if (fix) msgpack.result_fix = fix;
  if (override) {
    msgpack.exposed_api = 'override';
    const text = override.facts?.text ?? '';
    if (SAVED.test(text)) msgpack.log_phase_saved = true;
    const effects: string[] = [];
    if (/\b(?:cjson|json)[._]encode\s*\(/.test(text)) effects.push('result is JSON-encoded into a string');
    if (/\[\s*1\s*\]/.test(text) && /==\s*"table"/.test(text))
      effects.push('multi-valued header: only the first value is returned');
    const call = override.facts?.calls.find((c) => c.name === d.name);
    if (dropped.length && arity === 0 && call && call.args > 0)
      effects.push(`Kong passes its own ${dropped[0]} argument; the caller passes none`);
    if (effects.length) msgpack.effects = effects;
  }
  if (problems.length) msgpack.problems = problems;
  if (limitations.length) msgpack.limitations = limitations;

  const rpc = ctx.rpcByMethod.get(d.name);
  const subsystem = ctx.modules.subsystemOnly[module];
  return {
    name: d.name,
    source: d.source,
    ...(subsystem ? { subsystem } : {}),
    ...(d.colon ? { colon_method: true } : {}),
    ...(d.ldoc ? {} : { doc_block_not_ldoc: true }),
    params,
    returns,
    ...(d.returnsNothing ? { returns_nothing: true } : {}),
    ...(nilErr ? { nil_err: true } : {}),
    ...(codeNilErr ? { code_returns_nil_err: true } : {}),
    ...(d.phases ? { phases: d.phases } : {}),
    ...(d.phaseConditions ? { phase_conditions: d.phaseConditions } : {}),
    ...(d.facts?.neverReturns ? { never_returns: true } : {}),
    ...(d.mismatches.length ? { param_name_mismatch: d.mismatches } : {}),
    msgpack,
    ...(rpc ? { protobuf: { rpc: rpc.rpc, input: rpc.input, output: rpc.output } } : {}),
  };
}

/** A function that exists only as an exposed_api key: typed from its proto rpc when there is one. */
function rpcOnly(e: ExposedEntry, proto: ProtoFile | undefined, rpc: ProtoRpc | undefined): PdkFunction {
  const codeParams = (e.params ?? []).filter((p) => p !== '...');
  let params: PdkParam[];
  let returns: { type: string }[];
  if (proto && rpc) {
    const fromProto = paramsOfProto(proto, rpc.input);
    params = fromProto.map((p, i) => ({ name: codeParams[i] ?? p.name, type: p.type }));
    for (let i = fromProto.length; i < codeParams.length; i++) params.push({ name: codeParams[i]!, type: 'any' });
    returns = rpc.output === 'google.protobuf.Empty' ? [] : [{ type: luaTypeOfProto(proto, rpc.output) }];
  } else {
    params = codeParams.map((p) => ({ name: p, type: 'any' }));
    returns = e.facts?.returnsValue || e.aliasOf ? [{ type: 'any' }] : [];
  }
  const msgpack: MsgpackInfo = { exposed_api: 'only' };
  if (e.facts && SAVED.test(e.facts.text)) msgpack.log_phase_saved = true;
  return {
    name: e.key,
    kind: 'rpc_only',
    source: e.source,
    params,
    returns,
    msgpack,
    ...(rpc ? { protobuf: { rpc: rpc.rpc, input: rpc.input, output: rpc.output } } : {}),
  };
}
