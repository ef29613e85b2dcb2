/**
 * Emits `generated/wire-codec.ts` from rpc.yaml: a MessagePack decoder and encoder specialised
 * for the envelopes every event crosses — the requests of the methods that answer `EventReply`
 * (HandleEvent and every Step variant) and the response `[1, msgid, error, result]` with its
 * `EventReply` — so the hot path reads and writes known keys as precomputed bytes instead of
 * walking generic values.
 *
 * For `- {name: Step, param: {name: params, type: StepParams}, result: EventReply}` it writes a
 * `case` that matches the bytes of `"plugin.Step"`, and a `StepParams` reader that matches the
 * keys `EventId` and `Data` and reads each value by its IDL type. Values the IDL types as `any`
 * are left to the wire layer (the `WireReader`/`WireWriter` it passes in), which decodes and
 * encodes them exactly as for any other message.
 */
import type { FieldModel, IdlModel, NamedTypeModel } from '../idl/model.js';
import type { TypeExpr } from '../idl/type-expr.js';
import { header, lit, render } from './common.js';

/** The reply type the specialised encoder writes; the methods answering it are the hot requests. */
const REPLY_TYPE = 'EventReply';

/** `Uint8Array.of(...)` holding `bytes`. */
function bytesLit(bytes: readonly number[]): string {
  return `Uint8Array.of(${bytes.map((b) => `0x${b.toString(16).padStart(2, '0')}`).join(', ')})`;
}

/** The UTF-8 bytes of `s`. */
function utf8(s: string): number[] {
  return [...Buffer.from(s, 'utf8')];
}

/** `s` as a MessagePack fixstr (header byte and UTF-8 bytes); IDL names and literals are short. */
function fixstr(s: string): number[] {
  const bytes = utf8(s);
  if (bytes.length >= 32) throw new Error(`wire codec: ${s} is too long for a fixstr`);
  return [0xa0 | bytes.length, ...bytes];
}

/** Identifier-safe suffix for a constant name. */
function ident(s: string): string {
  return s.replace(/[^A-Za-z0-9]/g, '_');
}

class CodecEmitter {
  readonly consts: string[] = [];
  readonly guards: string[] = [];
  readonly writers: string[] = [];
  private readonly done = new Set<string>();

  constructor(private readonly byName: ReadonlyMap<string, NamedTypeModel>) {}

  constant(name: string, init: string): string {
    if (!this.done.has(`const:${name}`)) {
      this.done.add(`const:${name}`);
      this.consts.push(`const ${name} = ${init};`);
    }
    return name;
  }

  struct(name: string): NamedTypeModel & { fields: FieldModel[] } {
    const t = this.byName.get(name);
    if (!t?.fields) throw new Error(`wire codec: ${name} is not a record type of rpc.yaml`);
    return t as NamedTypeModel & { fields: FieldModel[] };
  }

  /** Expression: true when `v` has exactly the shape the writer for `t` writes. */
  check(t: TypeExpr, v: string): string {
    switch (t.kind) {
      case 'builtin':
        if (t.name === 'any') return 'true';
        if (t.name === 'integer' || t.name === 'number') return `typeof ${v} === "number"`;
        if (t.name === 'string') return `typeof ${v} === "string"`;
        if (t.name === 'boolean') return `typeof ${v} === "boolean"`;
        break;
      case 'literal':
        return `${v} === ${lit(t.value)}`;
      case 'array':
        if (t.element.kind === 'builtin' && t.element.name === 'any') return `Array.isArray(${v})`;
        break;
      case 'ref':
        this.writer(t.name);
        return `isExact${t.name}(${v})`;
      case 'union':
        return `(${t.members.map((m) => this.check(m, v)).join(' || ')})`;
      default:
        break;
    }
    throw new Error(`wire codec: cannot specialise the type of ${v}`);
  }

  /** Statements writing `v` (already checked) of type `t`. */
  write(t: TypeExpr, v: string): string {
    switch (t.kind) {
      case 'builtin':
        if (t.name === 'integer' || t.name === 'number') return `w.int(${v});`;
        if (t.name === 'string') return `w.str(${v});`;
        return `w.any(${v});`;
      case 'literal':
        return `w.raw(${this.constant(`LIT_${ident(t.value)}`, bytesLit(fixstr(t.value)))});`;
      case 'array':
        return `{ const a = ${v} as readonly unknown[]; w.arrayHeader(a.length); for (let i = 0; i < a.length; i++) w.any(a[i]); }`;
      case 'ref':
        this.writer(t.name);
        return `write${t.name}(w, ${v});`;
      case 'union': {
        // Members are told apart by the same checks as the guard (literals first: cheapest).
        const members = [...t.members].sort((a, b) => Number(b.kind === 'literal') - Number(a.kind === 'literal'));
        return members
          .map((m, i) => {
            const body = this.write(m, v);
            return i === members.length - 1 ? `{ ${body} }` : `if (${this.check(m, v)}) { ${body} } else `;
          })
          .join('');
      }
      default:
        throw new Error(`wire codec: cannot specialise the type of ${v}`);
    }
  }

  /** The exact-shape guard and the writer of a record type. */
  writer(name: string): void {
    if (this.done.has(`writer:${name}`)) return;
    this.done.add(`writer:${name}`);
    const t = this.struct(name);
    if (t.fields.length >= 16) throw new Error(`wire codec: ${name} has too many fields for a fixmap`);
    for (const f of t.fields)
      if (f.optional) throw new Error(`wire codec: ${name}.${f.name} is optional; replies are written whole`);
    const keys = t.fields.map((f) => lit(f.name)).join(' && k !== ');
    this.guards.push(
      [
        `/** True when \`v\` has exactly the IDL fields of \`${name}\` (anything else takes the general encoder). */`,
        `function isExact${name}(v: unknown): v is ${name} {`,
        `  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;`,
        `  let n = 0;`,
        `  for (const k in v) {`,
        `    if (k !== ${keys}) return false;`,
        `    n++;`,
        `  }`,
        `  const o = v as Record<string, unknown>;`,
        `  return n === ${t.fields.length} && ${t.fields.map((f) => this.check(f.type, `o.${f.name}`)).join(' && ')};`,
        `}`,
      ].join('\n'),
    );
    const body = t.fields.map((f, i) => {
      const key = this.constant(
        `KEY_${name}_${f.name}`,
        // The first key carries the fixmap header: one raw write for both.
        bytesLit(i === 0 ? [0x80 | t.fields.length, ...fixstr(f.name)] : fixstr(f.name)),
      );
      return `  w.raw(${key});\n  ${this.write(f.type, `v.${f.name}`)}`;
    });
    this.writers.push(
      [
        `/** Writes \`${name}\` as a ${t.fields.length}-entry map in IDL field order. */`,
        `function write${name}(w: WireWriter, v: ${name}): void {`,
        ...body,
        `}`,
      ].join('\n'),
    );
  }
}

/** `generated/wire-codec.ts`. */
export function emitWireCodec(idl: IdlModel): string {
  const byName = new Map<string, NamedTypeModel>(idl.types.filter((t) => t.origin === 'rpc').map((t) => [t.name, t]));
  if (!byName.get(REPLY_TYPE)?.fields) throw new Error(`wire codec: rpc.yaml declares no ${REPLY_TYPE} record`);
  const hot = idl.methods.filter((m) => m.result.kind === 'ref' && m.result.name === REPLY_TYPE);
  if (hot.length === 0) throw new Error(`wire codec: no method answers ${REPLY_TYPE}`);
  const em = new CodecEmitter(byName);

  // Request side: one reader per param record, one case per method-name length.
  const readers: string[] = [];
  const paramTypes = [...new Set(hot.map((m) => (m.param.type.kind === 'ref' ? m.param.type.name : '')))];
  for (const name of paramTypes) {
    if (name === '') throw new Error('wire codec: a hot method takes a param that is not a record');
    const t = em.struct(name);
    const branches = t.fields.map((f) => {
      const len = Buffer.byteLength(f.name, 'utf8');
      const key = em.constant(`NAME_${ident(f.name)}`, bytesLit(utf8(f.name)));
      const isInt = f.type.kind === 'builtin' && f.type.name === 'integer';
      return `if (len === ${len} && r.match(${key})) o.${f.name} = ${isInt ? 'r.int()' : f.type.kind === 'builtin' && f.type.name === 'string' ? 'r.str()' : 'r.any()'};`;
    });
    readers.push(
      [
        `/** Reads \`${name}\` params in wire key order; undefined for a key the IDL does not declare. */`,
        `function read${name}(r: WireReader): Record<string, unknown> | undefined {`,
        `  const n = r.mapHeader();`,
        `  if (n < 0) return undefined;`,
        `  const o: Record<string, unknown> = {};`,
        `  for (let i = 0; i < n; i++) {`,
        `    const len = r.strHeader();`,
        `    ${branches.join('\n    else ')}`,
        `    else return undefined;`,
        `  }`,
        `  return o;`,
        `}`,
      ].join('\n'),
    );
  }
  const byLength = new Map<number, typeof hot>();
  for (const m of hot) {
    const n = Buffer.byteLength(m.wireName, 'utf8');
    byLength.set(n, [...(byLength.get(n) ?? []), m]);
  }
  const cases = [...byLength]
    .sort(([a], [b]) => a - b)
    .map(([len, ms]) => ({
      len,
      tests: ms
        .map((m) => {
          const c = em.constant(`METHOD_${ident(m.name)}`, bytesLit(utf8(m.wireName)));
          const param = (m.param.type as { name: string }).name;
          return `if (r.match(${c})) { method = ${lit(m.wireName)}; read = read${param}; }`;
        })
        .join(' else '),
    }));

  // Reply side.
  em.writer(REPLY_TYPE);
  const typeImports = [...byName.keys()].filter((n) => em.guards.some((g) => g.includes(`v is ${n} `))).sort();

  return render('wire-codec', {
    header: header([idl.files.rpc]),
    typeImports: typeImports.join(', '),
    replyType: REPLY_TYPE,
    hotMethods: hot.map((m) => lit(m.wireName)),
    consts: em.consts.join('\n'),
    readers: readers.join('\n\n'),
    cases,
    guards: em.guards.join('\n\n'),
    writers: em.writers.join('\n\n'),
  });
}
