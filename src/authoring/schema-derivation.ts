/**
 * Derives a plugin's config schemas from its TypeScript types: Kong's schema (what the dump
 * hands Kong, passing MetaSubSchema) and a JSON Schema (draft 2020-12). Authoring only: the
 * `schema` command (schema-command.ts) and the derivation child process the server spawns for a
 * `.ts` plugin with neither a `Schema` export nor a sidecar (schema-derivation-process.ts) load
 * it; the server process itself never does, so ts-morph and TypeScript stay out of it.
 *
 * Which type is the config (first rule that finds one):
 *  1. the type argument of `implements KongPlugin<Config>` on a class of the file;
 *  2. the type argument of `PluginModule<Config>` anywhere in the file
 *     (`const plugin: PluginModule<Config> = …`, `… satisfies PluginModule<Config>`);
 *  3. an interface or type alias named `Config` or `<Something>Config` declared in the file:
 *     exported ones before the others, `Config` itself before `…Config`; several candidates
 *     left is an error (name the type with rule 1 or 2, or `--type`).
 *  `options.typeName` (`--type`) overrides all three. No config type at all is the
 *  NO_CONFIG_TYPE error (the loader then gives the plugin an empty config record).
 *
 * How a property maps (its path, e.g. `config.limits.burst`, is in every error):
 *  - `string`, `number`, `boolean` → `string`, `number`, `boolean`;
 *  - integers: the JSDoc tag `@integer` makes the property's numbers `integer` (also the
 *    elements of `number[]` and the values of `Record<string, number>`); the TypeScript type
 *    stays `number`, so plugin code is unaffected;
 *  - string literal unions and string enums → `string` + `one_of`; number literal unions
 *    and numeric enums → `number` (or `integer`) + `one_of`;
 *  - `p: T` → `required: true`; `p?: T`, `T | undefined`, `T | null` → optional;
 *  - `T[]`/`readonly T[]`/`Array<T>` → `array` + `elements`;
 *  - `Record<string, T>`, `{ [k: string]: T }` → `map` + `keys: {type: "string"}` + `values`;
 *  - interfaces and type literals (nested) → `record` + `fields`;
 *  - anything else (any, unknown, functions, methods, tuples, Date/Map/Set and other library
 *    classes, bigint, mixed unions, recursive types, objects mixing properties and an index
 *    signature) is an UNSUPPORTED_TYPE error naming the property path.
 * JSDoc tags on a property:
 *  - `@default <JSON>` → `default` (must be JSON — strings in double quotes — and satisfy the
 *    field; `null` is refused: Kong reads it as cjson.null);
 *  - `@minimum n` / `@maximum n` → Kong `between` (Kong needs both ends: a missing end is
 *    filled with ∓9007199254740991, Number.MAX_SAFE_INTEGER, i.e. unbounded in practice) and
 *    JSON Schema `minimum` / `maximum` (only the ends written);
 *  - `@minLength n` / `@maxLength n` → `len_min` / `len_max` (strings, arrays, maps) and
 *    `minLength`/`maxLength` (`minItems`, `minProperties` …);
 *  - `@pattern <regex>` → JSON Schema `pattern` (exact) and Kong `match`. Kong's `match` is
 *    a Lua pattern, not a regex: the regex is translated when it has an exact Lua equivalent
 *    (anchors, literals, `.`, `\d \s \w`, sets, `* + ? {n,m}`); otherwise (alternation,
 *    groups, `\b`, …) Kong's schema goes without `match` and a warning says so;
 *  - `@description text`, else the JSDoc text → `description` — in Kong's schema only when it
 *    is 10 to 500 characters (MetaSubSchema's limits), always in the JSON Schema.
 *  Other tags are ignored.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import * as Morph from 'ts-morph';
import { checkKongSchema } from '../plugins/kong-schema.js';
import type { KongFieldDef, KongSchemaField } from '../plugins/module-types.js';
import { JSON_SCHEMA_DIALECT, kongFieldsToJsonSchema, type JsonSchema } from '../schema/kong-to-json-schema.js';
import { regexToLuaPattern } from '../schema/lua-pattern.js';
import { pluginBaseName } from '../plugins/plugin-file.js';

/** The far end of a `between` written with only `@minimum` or only `@maximum`. */
export const UNBOUNDED = Number.MAX_SAFE_INTEGER;

/** Why a derivation failed. */
export type DerivationErrorCode =
  'NO_CONFIG_TYPE' | 'AMBIGUOUS_CONFIG_TYPE' | 'UNSUPPORTED_TYPE' | 'BAD_TAG' | 'KONG_REFUSES';

/** A derivation error; the message names the file or the property path. */
export class SchemaDerivationError extends Error {
  constructor(
    message: string,
    readonly code: DerivationErrorCode,
  ) {
    super(message);
    this.name = 'SchemaDerivationError';
  }
}

/** Options of {@link deriveSchemas}. */
export interface DeriveOptions {
  /** The plugin name in Kong's schema (default: a `Name: '…'` in the file, else the file name). */
  name?: string;
  /** The config type's name, overriding the discovery rules. */
  typeName?: string;
}

/** Kong's schema of a plugin. */
export interface KongPluginSchema {
  name: string;
  fields: [{ config: { type: 'record'; fields: KongSchemaField[] } }];
}

/** What {@link deriveSchemas} returns. */
export interface DerivedSchemas {
  kong: KongPluginSchema;
  jsonSchema: JsonSchema;
  configTypeName: string;
  /** Things that did not carry over (e.g. a `@pattern` with no Lua equivalent). */
  warnings: string[];
  /** Other local source files the program read (the on-disk cache checks them). */
  dependencies: string[];
}

type Tags = Map<string, string>;

/** What the JSON Schema needs beyond Kong's field definition. */
interface Side {
  pattern?: string;
  description?: string;
  hasMin?: boolean;
  hasMax?: boolean;
}

const FIELD_ORDER = [
  'type',
  'required',
  'default',
  'description',
  'one_of',
  'between',
  'len_min',
  'len_max',
  'match',
  'elements',
  'keys',
  'values',
  'fields',
];

/** Puts a definition's attributes in a stable order, in place (its identity keys side info). */
function ordered(def: KongFieldDef): KongFieldDef {
  const keys = [
    ...FIELD_ORDER.filter((k) => def[k] !== undefined),
    ...Object.keys(def).filter((k) => !FIELD_ORDER.includes(k) && def[k] !== undefined),
  ];
  const entries = keys.map((k) => [k, def[k]] as const);
  for (const k of Object.keys(def)) delete def[k];
  for (const [k, v] of entries) def[k] = v;
  return def;
}

function unsupported(pathText: string, what: string): never {
  throw new SchemaDerivationError(`${pathText}: unsupported type ${what}`, 'UNSUPPORTED_TYPE');
}

function badTag(pathText: string, message: string): never {
  throw new SchemaDerivationError(`${pathText}: ${message}`, 'BAD_TAG');
}

let ajvForDefaults: Ajv2020 | undefined;

function defaultProblem(schema: JsonSchema, value: unknown): string | undefined {
  ajvForDefaults ??= new Ajv2020({ strict: false, allErrors: false, validateFormats: false });
  const { $schema: _, ...rest } = schema;
  if (ajvForDefaults.validate(rest, value)) return undefined;
  return ajvForDefaults.errorsText(ajvForDefaults.errors).replace(/^data/, 'the value');
}

/** One derivation attempt: whether bare (package) imports are resolved, and whether a type was left unresolved. */
interface Attempt {
  packages: boolean;
  unresolved: boolean;
}

/** An unresolved name (e.g. a type from a package import that was not resolved) is TypeScript's error type. */
function isUnresolved(t: Morph.Type): boolean {
  return t.isAny() && (t.compilerType as { intrinsicName?: string }).intrinsicName === 'error';
}

/**
 * The tags of a JSDoc block written on the same line as the token before a declaration, as in
 * `{ /** @pattern ^x$ *\/ code: string }`. TypeScript reads such a comment as a trailing comment
 * of that token and attaches no JSDoc to the declaration; without this the tags would be lost.
 * A block followed by a line break before the declaration is left alone, as TypeScript does.
 */
function sameLineDocTags(m: typeof Morph, decl: Morph.Node): Tags {
  const tags: Tags = new Map();
  const full = decl.getSourceFile().getFullText();
  const ranges = m.ts.getTrailingCommentRanges(full, decl.getPos()) ?? [];
  const last = ranges[ranges.length - 1];
  if (!last || last.kind !== m.ts.SyntaxKind.MultiLineCommentTrivia) return tags;
  const comment = full.slice(last.pos, last.end);
  if (!comment.startsWith('/**') || comment.startsWith('/**/')) return tags;
  if (/[\r\n]/.test(full.slice(last.end, decl.getStart()))) return tags;
  const body = comment.slice(3, -2).replace(/^\s*\*/gm, ' ');
  const parts = body.split(/(?:^|\s)@(?=[A-Za-z])/);
  const description = parts.shift()!.trim().replace(/\s+/g, ' ');
  if (description) tags.set('', description);
  for (const part of parts) {
    const [, name, rest] = /^([A-Za-z][\w-]*)([\s\S]*)$/.exec(part)!;
    tags.set(name!, rest!.trim().replace(/\s+/g, ' '));
  }
  return tags;
}

class Deriver {
  readonly side = new WeakMap<object, Side>();
  readonly warnings: string[] = [];

  constructor(
    private readonly m: typeof Morph,
    private readonly sf: Morph.SourceFile,
    private readonly attempt: Attempt,
  ) {}

  /** The fields of an object type (the config record or a nested one). */
  record(type: Morph.Type, at: string, stack: readonly Morph.Type[]): KongSchemaField[] {
    const { Node } = this.m;
    const fields: KongSchemaField[] = [];
    for (const prop of type.getProperties()) {
      const name = prop.getName();
      const p = `${at}.${name}`;
      const decl = prop.getValueDeclaration() ?? prop.getDeclarations()[0];
      if (
        decl &&
        (Node.isMethodSignature(decl) ||
          Node.isMethodDeclaration(decl) ||
          Node.isGetAccessorDeclaration(decl) ||
          Node.isSetAccessorDeclaration(decl))
      ) {
        unsupported(p, 'a method (a config holds data only)');
      }
      const tags = this.tags(decl);
      const written =
        decl && (Node.isPropertySignature(decl) || Node.isPropertyDeclaration(decl))
          ? decl.getTypeNode()?.getText()
          : undefined;
      const propType = prop.getTypeAtLocation(this.sf);
      const { def, nullable } = this.field(propType, p, tags, stack, written);
      if (!prop.isOptional() && !nullable) def.required = true;
      this.applyTags(def, tags, p);
      const field: KongSchemaField = {};
      Object.defineProperty(field, name, { value: ordered(def), enumerable: true, writable: true, configurable: true });
      fields.push(field);
    }
    return fields;
  }

  /** JSDoc tags (`@name text`) and the description, of the last JSDoc block. */
  private tags(decl: Morph.Node | undefined): Tags {
    const tags: Tags = new Map();
    if (!decl || !this.m.Node.isJSDocable(decl)) return tags;
    const docs = decl.getJsDocs();
    const doc = docs[docs.length - 1];
    if (!doc) return sameLineDocTags(this.m, decl);
    const text = doc.getDescription().trim().replace(/\s+/g, ' ');
    if (text) tags.set('', text);
    for (const tag of doc.getTags()) tags.set(tag.getTagName(), (tag.getCommentText() ?? '').trim());
    return tags;
  }

  /** A property's type as a field definition; `nullable` when undefined/null is part of it. */
  private field(
    type: Morph.Type,
    at: string,
    tags: Tags,
    stack: readonly Morph.Type[],
    written?: string,
  ): { def: KongFieldDef; nullable: boolean } {
    const integer = tags.has('integer');
    let members = [type];
    if (type.isUnion() && !type.isBoolean()) members = type.getUnionTypes();
    const kept = members.filter((t) => !t.isUndefined() && !t.isNull());
    const nullable = kept.length !== members.length;
    return { def: this.members(kept, at, integer, stack, written ?? type.getText(this.sf)), nullable };
  }

  private members(
    types: Morph.Type[],
    at: string,
    integer: boolean,
    stack: readonly Morph.Type[],
    written: string,
  ): KongFieldDef {
    if (types.length === 0) unsupported(at, written);
    if (types.every((t) => t.isBooleanLiteral() || t.isBoolean())) return { type: 'boolean' };
    if (types.every((t) => t.isStringLiteral()))
      return { type: 'string', one_of: types.map((t) => t.getLiteralValue() as string) };
    if (types.every((t) => t.isNumberLiteral())) {
      const values = types.map((t) => t.getLiteralValue() as number);
      if (integer && !values.every(Number.isInteger))
        unsupported(at, `${written} (@integer, but not every value is an integer)`);
      return { type: integer ? 'integer' : 'number', one_of: values };
    }
    if (types.length > 1)
      unsupported(at, `${written} (a union; only unions of string literals or of number literals map to Kong)`);
    return this.single(types[0]!, at, integer, stack, written);
  }

  private single(
    t: Morph.Type,
    at: string,
    integer: boolean,
    stack: readonly Morph.Type[],
    written: string,
  ): KongFieldDef {
    if (isUnresolved(t)) this.attempt.unresolved = true;
    if (t.isAny()) unsupported(at, written === 'any' ? 'any' : `${written} (unresolved or any)`);
    if (t.isUnknown()) unsupported(at, 'unknown');
    if (t.isString()) return { type: 'string' };
    if (t.isNumber()) return { type: integer ? 'integer' : 'number' };
    if (t.isBoolean()) return { type: 'boolean' };
    if (t.isStringLiteral() || t.isNumberLiteral() || t.isBooleanLiteral())
      return this.members([t], at, integer, stack, written);
    if (t.isTuple()) unsupported(at, `${written} (a tuple)`);
    if (t.isArray() || t.isReadonlyArray()) {
      const element = t.getTypeArguments()[0]!;
      const inner = this.field(element, `${at}[]`, new Map(integer ? [['integer', '']] : []), stack, undefined);
      if (inner.nullable)
        unsupported(`${at}[]`, `${element.getText(this.sf)} (array elements cannot be null or undefined)`);
      return { type: 'array', elements: ordered(inner.def) };
    }
    if (t.isObject() || t.isIntersection()) {
      if (t.getCallSignatures().length || t.getConstructSignatures().length) unsupported(at, `${written} (a function)`);
      if (t.isIntersection() && !t.getIntersectionTypes().every((x) => x.isObject())) unsupported(at, written);
      if (stack.some((s) => s.compilerType === t.compilerType)) unsupported(at, `${written} (a recursive type)`);
      const index = t.getStringIndexType();
      const props = t.getProperties();
      if (index) {
        if (props.length) unsupported(at, `${written} (properties and an index signature together)`);
        const values = this.field(
          index,
          `${at}.<value>`,
          new Map(integer ? [['integer', '']] : []),
          [...stack, t],
          undefined,
        );
        if (values.nullable)
          unsupported(`${at}.<value>`, `${index.getText(this.sf)} (map values cannot be null or undefined)`);
        return { type: 'map', keys: { type: 'string' }, values: ordered(values.def) };
      }
      if (t.getNumberIndexType()) unsupported(at, `${written} (a numeric index signature)`);
      const symbol = t.getSymbol();
      const name = symbol?.getName();
      if (
        name &&
        name !== '__type' &&
        name !== '__object' &&
        symbol!.getDeclarations().some((d) => this.isLibrary(d.getSourceFile()))
      ) {
        unsupported(at, `${written} (a library type)`);
      }
      return { type: 'record', fields: this.record(t, at, [...stack, t]) };
    }
    unsupported(at, written);
  }

  private isLibrary(sf: Morph.SourceFile): boolean {
    const p = sf.getFilePath();
    return (
      sf.isDeclarationFile() && (p.includes('/node_modules/typescript/lib/') || p.includes('/node_modules/@types/'))
    );
  }

  private sideOf(def: KongFieldDef): Side {
    let s = this.side.get(def);
    if (!s) this.side.set(def, (s = {}));
    return s;
  }

  private applyTags(def: KongFieldDef, tags: Tags, at: string): void {
    const side = this.sideOf(def);
    const hasNumber = (d: KongFieldDef | undefined): boolean =>
      !!d && (d.type === 'integer' || d.type === 'number' || hasNumber(d.elements) || hasNumber(d.values));
    if (tags.has('integer') && !hasNumber(def))
      badTag(at, '@integer applies to number fields (or arrays and maps of numbers)');

    const num = (tag: string): number | undefined => {
      if (!tags.has(tag)) return undefined;
      const text = tags.get(tag)!;
      const n = text === '' ? NaN : Number(text);
      if (!Number.isFinite(n)) badTag(at, `@${tag} needs a number, got ${JSON.stringify(text)}`);
      return n;
    };
    const min = num('minimum');
    const max = num('maximum');
    if (min !== undefined || max !== undefined) {
      if (def.type !== 'number' && def.type !== 'integer')
        badTag(at, `@${min !== undefined ? 'minimum' : 'maximum'} applies to number fields, not ${def.type}`);
      if (min !== undefined && max !== undefined && min > max) badTag(at, `@minimum ${min} is above @maximum ${max}`);
      def.between = [min ?? -UNBOUNDED, max ?? UNBOUNDED];
      side.hasMin = min !== undefined;
      side.hasMax = max !== undefined;
    }

    const len = (tag: string): number | undefined => {
      const n = num(tag);
      if (n !== undefined && (!Number.isInteger(n) || n < 0))
        badTag(at, `@${tag} needs a non-negative integer, got ${n}`);
      return n;
    };
    const lenMin = len('minLength');
    const lenMax = len('maxLength');
    if (lenMin !== undefined || lenMax !== undefined) {
      if (!['string', 'array', 'map'].includes(def.type))
        badTag(
          at,
          `@${lenMin !== undefined ? 'minLength' : 'maxLength'} applies to strings, arrays and maps, not ${def.type}`,
        );
      if (lenMin !== undefined && lenMax !== undefined && lenMin > lenMax)
        badTag(at, `@minLength ${lenMin} is above @maxLength ${lenMax}`);
      if (lenMin !== undefined) def.len_min = lenMin;
      if (lenMax !== undefined) def.len_max = lenMax;
    }

    if (tags.has('pattern')) {
      const re = tags.get('pattern')!;
      if (def.type !== 'string') badTag(at, `@pattern applies to string fields, not ${def.type}`);
      if (re === '') badTag(at, '@pattern needs a regular expression');
      const lua = regexToLuaPattern(re);
      if (lua.ok) def.match = lua.pattern;
      else if (lua.reason.startsWith('not a valid regular expression')) badTag(at, `@pattern ${re}: ${lua.reason}`);
      else
        this.warnings.push(
          `${at}: @pattern ${re} has no exact Lua pattern equivalent (${lua.reason}); Kong's schema goes without "match", the JSON Schema keeps "pattern"`,
        );
      side.pattern = re;
    }

    const description = tags.get('description') || tags.get('');
    if (description) {
      if (description.length >= 10 && description.length <= 500) def.description = description;
      side.description = description;
    }

    if (tags.has('default')) {
      const text = tags.get('default')!;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        badTag(at, `@default must be a JSON value (strings in double quotes), got ${JSON.stringify(text)}`);
      }
      if (value === null)
        badTag(at, '@default null is not allowed (Kong reads a null as cjson.null); leave the tag out');
      const schema = this.jsonSchemaOf([{ x: def }]);
      const problem = defaultProblem((schema.properties as Record<string, JsonSchema>).x!, value);
      if (problem) badTag(at, `@default ${text} does not fit the field: ${problem}`);
      def.default = value;
    }
  }

  /** The JSON Schema of config fields, with what Kong's schema cannot say put back. */
  jsonSchemaOf(fields: readonly KongSchemaField[]): JsonSchema {
    return kongFieldsToJsonSchema(fields, {
      onField: (def, schema) => {
        const side = this.side.get(def);
        if (!side) return;
        if (side.pattern !== undefined) {
          // The exact regex, not its round trip through a Lua pattern.
          delete schema.$comment;
          schema.pattern = side.pattern;
        }
        if (side.description !== undefined) schema.description = side.description;
        if (side.hasMin === false) delete schema.minimum;
        if (side.hasMax === false) delete schema.maximum;
      },
    });
  }
}

interface FoundType {
  type: Morph.Type;
  name: string;
}

function usable(m: typeof Morph, t: Morph.Type, attempt: Attempt): boolean {
  if (isUnresolved(t)) attempt.unresolved = true;
  return !t.isAny() && !t.isUnknown() && !(t.getFlags() & m.ts.TypeFlags.Never);
}

function findConfigType(
  m: typeof Morph,
  sf: Morph.SourceFile,
  file: string,
  typeName: string | undefined,
  attempt: Attempt,
): FoundType {
  const { Node, SyntaxKind } = m;
  if (typeName !== undefined) {
    const decl = sf.getInterface(typeName) ?? sf.getTypeAlias(typeName) ?? sf.getClass(typeName);
    if (!decl)
      throw new SchemaDerivationError(`${file}: no interface, type alias or class named ${typeName}`, 'NO_CONFIG_TYPE');
    return { type: decl.getType(), name: typeName };
  }
  const found: { node: Morph.TypeNode; how: string }[] = [];
  for (const cls of [
    ...sf.getDescendantsOfKind(SyntaxKind.ClassDeclaration),
    ...sf.getDescendantsOfKind(SyntaxKind.ClassExpression),
  ]) {
    for (const h of cls.getImplements()) {
      const arg = h.getTypeArguments()[0];
      if (/(^|\.)KongPlugin$/.test(h.getExpression().getText()) && arg && usable(m, arg.getType(), attempt))
        found.push({ node: arg, how: `implements KongPlugin<${arg.getText()}>` });
    }
  }
  if (found.length === 0) {
    for (const ref of sf.getDescendantsOfKind(SyntaxKind.TypeReference)) {
      const arg = ref.getTypeArguments()[0];
      if (/(^|\.)PluginModule$/.test(ref.getTypeName().getText()) && arg && usable(m, arg.getType(), attempt))
        found.push({ node: arg, how: `PluginModule<${arg.getText()}>` });
    }
  }
  if (found.length) {
    const distinct = found.filter(
      (f, i) => found.findIndex((g) => g.node.getType().compilerType === f.node.getType().compilerType) === i,
    );
    if (distinct.length > 1) {
      throw new SchemaDerivationError(
        `${file}: several config types (${distinct.map((f) => f.how).join(', ')}); pick one with --type`,
        'AMBIGUOUS_CONFIG_TYPE',
      );
    }
    const node = distinct[0]!.node;
    return { type: node.getType(), name: Node.isTypeReference(node) ? node.getTypeName().getText() : node.getText() };
  }
  const named = [...sf.getInterfaces(), ...sf.getTypeAliases()].filter((d) => /Config$/.test(d.getName()));
  const exported = named.filter((d) => d.isExported());
  const pool = exported.length ? exported : named;
  const pick = pool.find((d) => d.getName() === 'Config') ?? (pool.length === 1 ? pool[0] : undefined);
  if (pick) return { type: pick.getType(), name: pick.getName() };
  if (pool.length > 1) {
    throw new SchemaDerivationError(
      `${file}: several candidate config types (${pool.map((d) => d.getName()).join(', ')}); use implements KongPlugin<…> or --type`,
      'AMBIGUOUS_CONFIG_TYPE',
    );
  }
  throw new SchemaDerivationError(
    `${file}: no config type found (looked for implements KongPlugin<Config>, PluginModule<Config>, an interface or type named Config or …Config)`,
    'NO_CONFIG_TYPE',
  );
}

function staticName(m: typeof Morph, sf: Morph.SourceFile): string | undefined {
  for (const p of sf.getDescendantsOfKind(m.SyntaxKind.PropertyAssignment)) {
    const init = p.getInitializer();
    if (p.getName() === 'Name' && init && m.Node.isStringLiteral(init)) return init.getLiteralValue();
  }
  return undefined;
}

/** Derives Kong's schema and a JSON Schema from the config type of a TypeScript plugin file. */
export function deriveSchemas(file: string, options: DeriveOptions = {}): DerivedSchemas {
  const m = Morph;
  const abs = path.resolve(file);
  if (!fs.existsSync(abs)) throw new SchemaDerivationError(`${file}: no such file`, 'NO_CONFIG_TYPE');
  // Package imports (`kong-ts-pdk`'s declarations, …) cost more to read than the rest of the
  // derivation and rarely hold the config type: first try with relative imports only, and
  // again with everything when a type was left unresolved and the first try failed.
  const quick: Attempt = { packages: false, unresolved: false };
  try {
    return derive(m, file, abs, options, quick);
  } catch (e) {
    if (!quick.unresolved) throw e;
    return derive(m, file, abs, options, { packages: true, unresolved: false });
  }
}

function derive(m: typeof Morph, file: string, abs: string, options: DeriveOptions, attempt: Attempt): DerivedSchemas {
  const ts = m.ts;
  const relativeOnly: Morph.ResolutionHostFactory = (host, getOptions) => ({
    resolveModuleNames: (names, containingFile) =>
      names.map((n) =>
        /^\.\.?(\/|$)/.test(n) ? ts.resolveModuleName(n, containingFile, getOptions(), host).resolvedModule : undefined,
      ),
  });
  const project = new m.Project({
    ...(attempt.packages ? {} : { resolutionHost: relativeOnly }),
    compilerOptions: {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      lib: ['lib.es2022.d.ts'],
      types: [],
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      allowImportingTsExtensions: true,
      esModuleInterop: true,
    },
    skipAddingFilesFromTsConfig: true,
  });
  const sf = project.addSourceFileAtPath(abs);
  const found = findConfigType(m, sf, file, options.typeName, attempt);
  const deriver = new Deriver(m, sf, attempt);
  const rootText = found.type.getText(sf);
  if (!found.type.isObject() && !found.type.isIntersection())
    unsupported('config', `${rootText} (the config must be an object type)`);
  if (found.type.getStringIndexType())
    unsupported('config', `${rootText} (the config must be a record with named fields, not a map)`);
  const fields = deriver.record(found.type, 'config', [found.type]);

  const name = (options.name ?? staticName(m, sf) ?? pluginBaseName(abs)).toLowerCase();
  const kong: KongPluginSchema = { name, fields: [{ config: { type: 'record', fields } }] };
  const problems = checkKongSchema(kong);
  if (problems.length)
    throw new SchemaDerivationError(
      `${file}: Kong would refuse the derived schema: ${problems.join('; ')}`,
      'KONG_REFUSES',
    );
  const jsonSchema: JsonSchema = { $schema: JSON_SCHEMA_DIALECT, title: found.name, ...deriver.jsonSchemaOf(fields) };

  const dependencies = project
    .getProgram()
    .compilerObject.getSourceFiles()
    .map((f) => path.resolve(f.fileName))
    .filter(
      (f) => f !== abs && !f.endsWith('.d.ts') && !f.split(path.sep).includes('node_modules') && fs.existsSync(f),
    );
  return { kong, jsonSchema, configTypeName: found.name, warnings: deriver.warnings, dependencies };
}
