/**
 * A small command-line parser for the server's flags. Every long flag works with one or two
 * dashes (`-kong-prefix` and `--kong-prefix`), as Go's flag package accepts them: go-pdk style
 * start commands can then be reused verbatim. `--flag=value` works too.
 *
 * Two shapes of table use it: {@link FlagSpec} (untyped, a record of strings, for the small
 * authoring commands) and {@link TypedFlag} (each entry writes its parsed value into a typed
 * configuration object, for the server CLI).
 */

/** What the usage text needs to know of a flag. */
export interface FlagHelp {
  /** Spellings without dashes; one letter is shown as `-x`, longer as `--name`. */
  readonly names: readonly string[];
  readonly help: string;
  /** Shown for a value flag in the usage, e.g. `<dir>`; a {@link TypedFlag} takes a value exactly when it is set. */
  readonly arg?: string;
  readonly value?: boolean;
}

/** One flag: its spellings (without dashes), whether it takes a value, its key in the result. */
export interface FlagSpec extends FlagHelp {
  key: string;
  value?: boolean;
  /** Counts repetitions (`-v -v`). */
  count?: boolean;
}

/**
 * One flag of a typed table: `apply` parses the flag's value (or, for a switch, notes that it was
 * given) into `C`. Adding a flag is adding one entry; its parsing and validation live in it.
 */
export interface TypedFlag<C> extends FlagHelp {
  /**
   * Called once per occurrence: with the value for a flag with `arg`, with `undefined` for a
   * switch. `spelled` is the flag as the user wrote it (for error messages). Throw a
   * {@link UsageError} for a bad value.
   */
  apply(config: C, value: string | undefined, spelled: string): void;
}

/** Parsed flags: value flags as strings, switches as true, counters as numbers. */
export type ParsedFlags = Record<string, string | boolean | number | undefined>;

/** A usage error: printed with the usage, exit status 2. */
export class UsageError extends Error {}

/** Walks `argv`: `onFlag` gets each flag's table entry and value; positional arguments are returned. */
function walk<F extends FlagHelp>(
  argv: readonly string[],
  specs: readonly F[],
  takesValue: (spec: F) => boolean,
  onFlag: (spec: F, value: string | undefined, spelled: string) => void,
): string[] {
  const byName = new Map<string, F>();
  for (const s of specs) for (const n of s.names) byName.set(n, s);
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('-') || a === '-') {
      positional.push(a);
      continue;
    }
    const body = a.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq >= 0 ? body.slice(0, eq) : body;
    const spec = byName.get(name);
    if (!spec) throw new UsageError(`unknown flag ${a}`);
    const spelled = eq >= 0 ? a.slice(0, a.indexOf('=')) : a;
    if (takesValue(spec)) {
      let v: string | undefined;
      if (eq >= 0) v = body.slice(eq + 1);
      else {
        v = argv[++i];
        if (v === undefined) throw new UsageError(`${a} needs a value ${spec.arg ?? ''}`.trim());
      }
      onFlag(spec, v, spelled);
    } else {
      if (eq >= 0) throw new UsageError(`${a} takes no value`);
      onFlag(spec, undefined, spelled);
    }
  }
  return positional;
}

/** Parses `argv` against `specs`; positional arguments are returned apart. */
export function parseFlags(
  argv: readonly string[],
  specs: readonly FlagSpec[],
): { flags: ParsedFlags; positional: string[] } {
  const flags: ParsedFlags = {};
  const positional = walk(
    argv,
    specs,
    (s) => s.value === true,
    (spec, v) => {
      if (v !== undefined) flags[spec.key] = v;
      else if (spec.count) flags[spec.key] = ((flags[spec.key] as number | undefined) ?? 0) + 1;
      else flags[spec.key] = true;
    },
  );
  return { flags, positional };
}

/** Parses `argv` against a typed table, applying each flag to `config`; returns the positional arguments. */
export function parseInto<C>(argv: readonly string[], table: readonly TypedFlag<C>[], config: C): string[] {
  return walk(
    argv,
    table,
    (f) => f.arg !== undefined,
    (f, v, spelled) => f.apply(config, v, spelled),
  );
}

/** The usage text of a flag table. */
export function usage(command: string, summary: string, specs: readonly FlagHelp[]): string {
  const rows = specs.map((s) => {
    const names = s.names.map((n) => (n.length === 1 ? `-${n}` : `--${n}`)).join(', ');
    const takes = s.value === true || s.arg !== undefined;
    return [`${names}${takes ? ` ${s.arg ?? '<value>'}` : ''}`, s.help] as const;
  });
  const width = Math.max(...rows.map(([l]) => l.length));
  return [
    `Usage: ${command}`,
    '',
    summary,
    '',
    'Flags (one or two dashes both work):',
    ...rows.map(([l, h]) => `  ${l.padEnd(width)}  ${h}`),
    '',
  ].join('\n');
}

/** A positive finite number, or a usage error naming the flag. */
export function positiveNumber(value: string, spelled: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0)
    throw new UsageError(`${spelled} needs a positive number, got ${value}`);
  return n;
}

/** A positive integer, or a usage error naming the flag. */
export function positiveInteger(value: string, spelled: string): number {
  const n = positiveNumber(value, spelled);
  if (!Number.isInteger(n)) throw new UsageError(`${spelled} needs a positive integer, got ${value}`);
  return n;
}

/** One of `choices`, or a usage error listing them. */
export function oneOf<T extends string>(choices: readonly T[], value: string, spelled: string): T {
  if (!(choices as readonly string[]).includes(value))
    throw new UsageError(`${spelled} must be one of ${choices.join(', ')}, got ${value}`);
  return value as T;
}
