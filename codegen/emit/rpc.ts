/**
 * Emits `generated/rpc.ts` from rpc.yaml: the RPC types, the error texts and protocol
 * constants, the handler interface `src/` implements, the allow-list dispatcher, and the
 * caller's side (a method → args → result map and a typed call signature).
 *
 * For `- {name: CloseInstance, param: {name: id, type: integer}, result: InstanceInfo}` it writes
 * the handler signature `CloseInstance(id: number): InstanceInfo | Promise<InstanceInfo>`, a
 * dispatch entry that refuses a request whose single param is not an integer, and the caller's
 * entry `"plugin.CloseInstance": { args: [id: number]; result: InstanceInfo }`.
 */
import type { IdlModel, NamedTypeModel, RpcErrorModel } from '../idl/model.js';
import { referencedNames, toTs } from '../idl/type-expr.js';
import { docComment, header, lit, render } from './common.js';
import { guardExpr } from './guards.js';
import { emitTypeDeclarations } from './types.js';

/** Errors the dispatcher itself raises: the IDL must name them. */
const DISPATCH_ERRORS = ['UnknownMethod', 'BadParams', 'ParamCount', 'ParamCountAtMost', 'ParamType', 'ParamsNotArray'];

function templateLiteral(text: string): string {
  const escaped = text.replace(/\\/g, '\\\\').replace(/`/g, '\\`').replace(/\$\{/g, '\\${');
  return '`' + escaped.replace(/\{([a-z]+)\}/g, (_m, p: string) => `\${String(${p})}`) + '`';
}

const KIND_NOTES: Record<RpcErrorModel['kind'], string | undefined> = {
  reply: undefined,
  envelope: 'Sent by the connection layer rather than by a method handler.',
  refusal: 'A reason Kong 3.x would refuse the plugin (joined into `PluginRefused`).',
  reason: 'A part of another error text.',
  instance: 'Not a reply: why an instance fails closed, logged and reported to `onPluginError`.',
};

/** `generated/rpc.ts`. */
export function emitRpc(idl: IdlModel): string {
  for (const name of DISPATCH_ERRORS) {
    if (!idl.errors.some((e) => e.name === name)) throw new Error(`${idl.files.rpc} must declare the error ${name}`);
  }
  const byName = new Map<string, NamedTypeModel>(idl.types.map((t) => [t.name, t]));
  const rpcTypes = idl.types.filter((t) => t.origin === 'rpc');
  const entityRefs = new Set<string>();
  const exprs = [
    ...rpcTypes.flatMap((t) => (t.alias ? [t.alias] : (t.fields ?? []).map((f) => f.type))),
    ...idl.methods.flatMap((m) => [m.param.type, m.result]),
  ];
  for (const e of exprs)
    for (const r of referencedNames(e)) if (byName.get(r)?.origin === 'entities') entityRefs.add(r);

  const handlerUsers = new Map<string, string[]>();
  for (const m of idl.methods) handlerUsers.set(m.handler, [...(handlerUsers.get(m.handler) ?? []), m.wireName]);
  const shared = [...handlerUsers].filter(([, users]) => users.length > 1);

  const paramDecl = (m: IdlModel['methods'][number]): string =>
    `${m.param.name}${m.param.optional ? '?' : ''}: ${toTs(m.param.type)}`;

  const handlers = idl.methods
    .filter((m) => m.handler === m.name)
    .map((m) => {
      const users = handlerUsers.get(m.name)!;
      const docLines = [m.doc];
      if (users.length > 1) docLines.push('', `Serves ${users.map((u) => `\`${u}\``).join(', ')}.`);
      if (m.param.doc) docLines.push('', `@param ${m.param.name} ${m.param.doc}`);
      return { name: m.name, params: paramDecl(m), result: toTs(m.result), doc: docComment(docLines, '  ') };
    });

  const methods = idl.methods.map((m) => {
    const guard = guardExpr(m.param.type, 'a', byName);
    // A param of type `any` needs no check: only its presence (the arity) is checked.
    const check =
      guard === undefined ? undefined : m.param.optional ? `a === undefined || a === null || ${guard}` : guard;
    const arity = m.param.optional
      ? `if (p.length > 1) throw new RpcCallError(RpcErrors.BadParams(${lit(m.wireName)}, RpcErrors.ParamCountAtMost(p.length)));`
      : `if (p.length !== 1) throw new RpcCallError(RpcErrors.BadParams(${lit(m.wireName)}, RpcErrors.ParamCount(p.length)));`;
    return {
      wire: lit(m.wireName),
      handler: m.handler,
      arity,
      check,
      typeText: lit(m.param.typeText),
      doc: docComment([m.doc, ...(m.param.doc ? ['', `@param ${m.param.name} ${m.param.doc}`] : [])], '  '),
      argsType: `[${paramDecl(m)}]`,
      result: toTs(m.result),
    };
  });

  const guards = rpcTypes
    .filter((t) => t.fields)
    .map((t) => ({
      name: t.name,
      checks: t
        .fields!.flatMap((f) => {
          const g = guardExpr(f.type, `o.${f.name}`, byName);
          if (g === undefined) return [];
          return [f.optional ? `(o.${f.name} == null || ${g})` : g];
        })
        .join(' &&\n    '),
    }));

  return render('rpc', {
    header: header([idl.files.rpc]),
    entityImports: [...entityRefs].sort().join(', '),
    namespace: lit(idl.namespace),
    protocol: lit(idl.protocol),
    contractPhrase: lit(idl.contractPhrase.text),
    contractReplacement: lit(idl.contractPhrase.replacement),
    contractPattern: idl.contractPhrase.text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'),
    failStatus: idl.failClosed.status,
    failMessage: lit(idl.failClosed.message),
    types: emitTypeDeclarations(rpcTypes),
    errors: idl.errors.map((e) => ({
      name: e.name,
      doc: docComment(
        [
          e.doc,
          ...(KIND_NOTES[e.kind] ? ['', KIND_NOTES[e.kind]!] : []),
          ...(e.contract ? ['', 'Part of the contract with Kong: do not change the text.'] : []),
        ],
        '  ',
      ),
      params: e.placeholders.map((p) => `${p}: unknown`).join(', '),
      body: templateLiteral(e.text),
      text: lit(e.text),
      kind: lit(e.kind),
    })),
    guards,
    methods,
    sharedHandlers: shared.map(([handler, users]) => ({ handler, union: users.map(lit).join(' | ') })),
    handlers,
  });
}
