/**
 * Emits `generated/rpc.ts` from rpc.yaml: the RPC types, the error texts, the handler
 * interface `src/` implements and the allow-list dispatcher.
 *
 * For `- {name: CloseInstance, param: {name: id, type: integer}, result: InstanceInfo}` it writes
 * the handler signature `CloseInstance(id: number): InstanceInfo | Promise<InstanceInfo>` and a
 * dispatch entry that refuses a request whose single param is not an integer.
 */
import type { IdlModel, NamedTypeModel } from '../idl/model.js';
import { referencedNames, toTs } from '../idl/type-expr.js';
import { docComment, header, lit, render } from './common.js';
import { guardExpr } from './guards.js';
import { emitTypeDeclarations } from './types.js';

function templateLiteral(text: string): string {
  const escaped = text.replace(/\\/g, '\\\\').replace(/`/g, '\\`').replace(/\$\{/g, '\\${');
  return '`' + escaped.replace(/\{([a-z]+)\}/g, (_m, p: string) => `\${String(${p})}`) + '`';
}

/** `generated/rpc.ts`. */
export function emitRpc(idl: IdlModel): string {
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

  const handlers = idl.methods
    .filter((m) => m.handler === m.name)
    .map((m) => {
      const users = handlerUsers.get(m.name)!;
      const paramType = toTs(m.param.type);
      const params = [`${m.param.name}${m.param.optional ? '?' : ''}: ${paramType}`];
      if (users.length > 1) params.push(`method: ${m.name}MethodName`);
      const docLines = [m.doc];
      if (users.length > 1) docLines.push('', `Serves ${users.map((u) => `\`${u}\``).join(', ')}.`);
      if (m.param.doc) docLines.push('', `@param ${m.param.name} ${m.param.doc}`);
      return { name: m.name, params: params.join(', '), result: toTs(m.result), doc: docComment(docLines, '  ') };
    });

  const methods = idl.methods.map((m) => {
    const shares = (handlerUsers.get(m.handler) ?? []).length > 1;
    const check = m.param.optional
      ? `a === undefined || a === null || ${guardExpr(m.param.type, 'a', byName)}`
      : guardExpr(m.param.type, 'a', byName);
    const arity = m.param.optional
      ? `if (p.length > 1) throw new RpcCallError(RpcErrors.BadParams(${lit(m.wireName)}, \`expected at most 1 param, got \${p.length}\`));`
      : `if (p.length !== 1) throw new RpcCallError(RpcErrors.BadParams(${lit(m.wireName)}, \`expected 1 param, got \${p.length}\`));`;
    return {
      wire: lit(m.wireName),
      handler: m.handler,
      arity,
      check,
      expected: lit(`expected ${m.param.typeText}`),
      args: shares ? `a, ${lit(m.wireName)}` : m.param.optional ? 'a' : 'a',
    };
  });

  const guards = rpcTypes
    .filter((t) => t.fields)
    .map((t) => ({
      name: t.name,
      checks:
        t
          .fields!.map((f) => {
            const g = guardExpr(f.type, `o.${f.name}`, byName);
            return f.optional ? `(o.${f.name} == null || ${g})` : g;
          })
          .join(' &&\n    ') || 'true',
    }));

  return render('rpc', {
    header: header([idl.files.rpc]),
    entityImports: [...entityRefs].sort().join(', '),
    namespace: lit(idl.namespace),
    types: emitTypeDeclarations(rpcTypes),
    errors: idl.errors.map((e) => ({
      name: e.name,
      doc: docComment(
        [e.doc, ...(e.contract ? ['', 'Part of the contract with Kong: do not change the text.'] : [])],
        '  ',
      ),
      params: e.placeholders.map((p) => `${p}: unknown`).join(', '),
      body: templateLiteral(e.text),
    })),
    guards,
    methods,
    sharedHandlers: shared.map(([handler, users]) => ({ handler, union: users.map(lit).join(' | ') })),
    handlers,
  });
}
