/**
 * A small command-line parser for the server's flags. Every long flag works with one or two
 * dashes (`-kong-prefix` and `--kong-prefix`), as Go's flag package accepts them: go-pdk style
 * start commands can then be reused verbatim. `--flag=value` works too.
 */

/** One flag: its spellings (without dashes), whether it takes a value, its key in the result. */
export interface FlagSpec {
  names: readonly string[];
  key: string;
  value?: boolean;
  /** Counts repetitions (`-v -v`). */
  count?: boolean;
  help: string;
  /** Shown for a value flag in the usage, e.g. `<dir>`. */
  arg?: string;
}

/** Parsed flags: value flags as strings, switches as true, counters as numbers. */
export type ParsedFlags = Record<string, string | boolean | number | undefined>;

/** A usage error: printed with the usage, exit status 2. */
export class UsageError extends Error {}

/** Parses `argv` against `specs`; positional arguments are returned apart. */
export function parseFlags(
  argv: readonly string[],
  specs: readonly FlagSpec[],
): { flags: ParsedFlags; positional: string[] } {
  const byName = new Map<string, FlagSpec>();
  for (const s of specs) for (const n of s.names) byName.set(n, s);
  const flags: ParsedFlags = {};
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
    if (spec.value) {
      let v: string | undefined;
      if (eq >= 0) v = body.slice(eq + 1);
      else {
        v = argv[++i];
        if (v === undefined) throw new UsageError(`${a} needs a value ${spec.arg ?? ''}`.trim());
      }
      flags[spec.key] = v;
    } else if (spec.count) {
      flags[spec.key] = ((flags[spec.key] as number | undefined) ?? 0) + 1;
    } else {
      if (eq >= 0) throw new UsageError(`${a} takes no value`);
      flags[spec.key] = true;
    }
  }
  return { flags, positional };
}

/** The usage text of a flag table. */
export function usage(command: string, summary: string, specs: readonly FlagSpec[]): string {
  const rows = specs.map((s) => {
    const names = s.names.map((n) => (n.length === 1 ? `-${n}` : `--${n}`)).join(', ');
    return [`${names}${s.value ? ` ${s.arg ?? '<value>'}` : ''}`, s.help] as const;
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
