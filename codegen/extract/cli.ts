/**
 * The `extract` and `pdk-diff` commands.
 *
 *   kong-ts-pdk extract --kong <tree>[=<label>] [--kong <tree>[=<label>] …] [--out idl/pdk.yaml]
 *                       [--rules idl/extract-rules.yaml] [--rpc idl/rpc.yaml] [--report report.json]
 *                       [--commit <sha>] [--keep-removed] [--strict]
 *   kong-ts-pdk pdk-diff <old.yaml> <new.yaml> [--out changes.md]
 *
 * `extract` reads each Kong source tree (a checkout or `git archive` of Kong/kong), merges them
 * into one pdk.yaml (since/until per function, since per parameter) and prints every doc defect
 * it met on stderr, one line each, marked with the reviewed rule that covers it or as
 * unreviewed. A tree's label is kong/meta.lua's version unless given after `=`; label the
 * development branch `main`. `--strict` exits 1 on an unreviewed defect or a stale rule.
 *
 * Phases come from each function's code phase check (`check_phase(…)`) where it has one, for
 * the phases a plugin server runs in (rpc.yaml `phases`, from --rpc or beside the rules file);
 * every function whose `@phases` disagrees with its check is reported.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { mergeTrees } from './merge.js';
import type { PhaseDisagreement, TreeExtraction } from './model.js';
import { pdkDiff, readPdkYaml } from './pdk-diff.js';
import { loadRules, NO_RULES, RuleBook, RulesError } from './rules.js';
import { extractTree, TreeError } from './tree.js';
import { writePdkYaml } from './yaml-writer.js';

interface ExtractArgs {
  trees: { path: string; label?: string }[];
  out?: string;
  rules?: string;
  rpc?: string;
  report?: string;
  commit?: string;
  keepRemoved: boolean;
  strict: boolean;
}

class UsageError extends Error {}

function parseExtractArgs(argv: readonly string[]): ExtractArgs {
  const args: ExtractArgs = { trees: [], keepRemoved: false, strict: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${a} needs a value`);
      return v;
    };
    if (a === '--kong') {
      const v = value();
      const eq = v.lastIndexOf('=');
      // `path=label`, where the label is a version or `main` (a path may itself contain `=`).
      if (eq > 0 && /^(\d+\.\d+\.\d+|main)$/.test(v.slice(eq + 1)))
        args.trees.push({ path: v.slice(0, eq), label: v.slice(eq + 1) });
      else args.trees.push({ path: v });
    } else if (a === '--out') args.out = value();
    else if (a === '--rules') args.rules = value();
    else if (a === '--rpc') args.rpc = value();
    else if (a === '--report') args.report = value();
    else if (a === '--commit') args.commit = value();
    else if (a === '--keep-removed') args.keepRemoved = true;
    else if (a === '--strict') args.strict = true;
    else throw new UsageError(`unknown argument ${a}`);
  }
  if (args.trees.length === 0) throw new UsageError('give at least one --kong <path to a Kong source tree>');
  return args;
}

/** The rules file to use: --rules, else extract-rules.yaml beside --out, else idl/extract-rules.yaml. */
function rulesPath(args: ExtractArgs): string | undefined {
  if (args.rules) return args.rules;
  const candidates = [
    args.out ? path.join(path.dirname(args.out), 'extract-rules.yaml') : undefined,
    path.join('idl', 'extract-rules.yaml'),
  ];
  return candidates.find((c) => c !== undefined && fs.existsSync(c));
}

/** The phases a plugin server runs in, from rpc.yaml (--rpc, else beside the rules file); undefined without one. */
function codeDecidedPhases(args: ExtractArgs, rulesFile: string | undefined): string[] | undefined {
  const file = args.rpc ?? (rulesFile ? path.join(path.dirname(rulesFile), 'rpc.yaml') : undefined);
  if (!file || (!args.rpc && !fs.existsSync(file))) return undefined;
  const phases = (parseYaml(fs.readFileSync(file, 'utf8')) as { phases?: unknown } | null)?.phases;
  if (!Array.isArray(phases) || !phases.every((p) => typeof p === 'string'))
    throw new UsageError(`${file} has no phases list`);
  return phases;
}

/** Runs `extract`; `argv` is what follows the subcommand. Returns the exit code. */
export async function runExtract(argv: string[]): Promise<number> {
  let args: ExtractArgs;
  try {
    args = parseExtractArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`extract: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  try {
    const rulesFile = rulesPath(args);
    const book = new RuleBook(rulesFile ? loadRules(rulesFile) : NO_RULES);
    if (!rulesFile) process.stderr.write('extract: no extract-rules.yaml: every defect is unreviewed\n');

    const codeDecides = codeDecidedPhases(args, rulesFile);
    if (!codeDecides) process.stderr.write('extract: no rpc.yaml: phase checks decide every phase\n');
    const trees: TreeExtraction[] = args.trees.map((t) =>
      extractTree(t.path, { book, ...(codeDecides ? { codeDecides } : {}), ...(t.label ? { label: t.label } : {}) }),
    );
    const labels = trees.map((t) => t.label);
    const dup = labels.find((l, i) => labels.indexOf(l) !== i);
    if (dup) throw new UsageError(`two trees are labelled ${dup}: label one with --kong <path>=<label>`);
    const merged = mergeTrees(trees, { keepRemoved: args.keepRemoved });
    if (args.commit) merged.file.kong.commit = args.commit;

    const report = buildReport(trees, merged, book);
    for (const line of report.lines) process.stderr.write(`${line}\n`);
    const text = writePdkYaml(merged.file);
    if (args.out) fs.writeFileSync(args.out, text);
    else process.stdout.write(text);
    if (args.report) fs.writeFileSync(args.report, `${JSON.stringify(report.json, null, 2)}\n`);
    process.stderr.write(
      `extract: ${merged.file.functions.length} functions from ${labels.join(', ')}; ${report.json.defects.length} defects (${report.unreviewed} unreviewed), ${report.json.stale_rules.length} stale rules${args.out ? ` → ${args.out}` : ''}\n`,
    );
    return args.strict && (report.unreviewed > 0 || report.json.stale_rules.length > 0) ? 1 : 0;
  } catch (e) {
    if (e instanceof UsageError || e instanceof TreeError || e instanceof RulesError) {
      process.stderr.write(`extract: ${e.message}\n`);
      return e instanceof UsageError ? 2 : 1;
    }
    throw e;
  }
}

/** The JSON report and the stderr lines of an extraction. */
export function buildReport(trees: readonly TreeExtraction[], merged: ReturnType<typeof mergeTrees>, book: RuleBook) {
  // One line per distinct defect, with the releases it was met in.
  const defects = new Map<
    string,
    { kind: string; function: string; source: string; message: string; rule?: string; kong: string[] }
  >();
  for (const t of trees) {
    for (const d of t.defects) {
      const key = `${d.kind}\u0000${d.function}\u0000${d.message}`;
      const seen = defects.get(key);
      if (seen) {
        seen.kong.push(t.label);
        seen.source = d.source; // the newest tree's location
      } else defects.set(key, { ...d, kong: [t.label] });
    }
  }
  const warnings = new Map<string, string[]>();
  for (const t of trees)
    for (const w of [...t.warnings, ...t.undocumented.map((u) => `undocumented export ${u}`)])
      warnings.set(w, [...(warnings.get(w) ?? []), t.label]);
  // One entry per function and disagreement, with the releases it was met in.
  const phaseChecks = new Map<string, PhaseDisagreement & { kong: string[] }>();
  for (const t of trees) {
    for (const d of t.phaseDisagreements) {
      const key = JSON.stringify([d.function, d.doc, d.code, d.added, d.removed]);
      const seen = phaseChecks.get(key);
      if (seen) {
        seen.kong.push(t.label);
        seen.source = d.source;
        seen.check = d.check;
      } else phaseChecks.set(key, { ...d, kong: [t.label] });
    }
  }
  const stale = book.unused();
  const lines: string[] = [];
  let unreviewed = 0;
  for (const d of defects.values()) {
    if (!d.rule) unreviewed++;
    lines.push(
      `defect: ${d.source}: ${d.function}: ${d.message} [${d.rule ? `rule ${d.rule}` : 'unreviewed'}] (${d.kong.join(', ')})`,
    );
  }
  for (const p of phaseChecks.values()) {
    const taken = [...p.added.map((x) => `+${x}`), ...p.removed.map((x) => `-${x}`)];
    lines.push(
      `phases: ${p.source}: ${p.function}: @phases ${p.doc ? p.doc.join(', ') : '(none)'}; ${p.check} accepts ${p.code.join(', ')}; ${taken.length ? `taken from the code: ${taken.join(' ')}` : 'no phase a plugin server runs in differs'} (${p.kong.join(', ')})`,
    );
  }
  for (const [w, kong] of warnings) lines.push(`warning: ${w} (${kong.join(', ')})`);
  for (const id of stale) lines.push(`warning: rule ${id} matched nothing in ${trees.map((t) => t.label).join(', ')}`);
  const newest = merged.file.kong.tracked[merged.file.kong.tracked.length - 1];
  for (const r of merged.removed)
    lines.push(
      `note: ${r.name} is not in ${newest} (present ${r.since} → ${r.until})${merged.file.functions.some((f) => f.name === r.name) ? ', kept with until' : ', left out (--keep-removed keeps it)'}`,
    );
  return {
    lines,
    unreviewed,
    json: {
      kong: trees.map((t) => ({
        label: t.label,
        version: t.version,
        ...(t.commit ? { commit: t.commit } : {}),
        functions: t.functions.length,
        rpc: t.rpc,
        modules: t.modules,
      })),
      defects: [...defects.values()],
      phase_checks: [...phaseChecks.values()],
      warnings: [...warnings].map(([text, kong]) => ({ text, kong })),
      stale_rules: stale,
      removed: merged.removed,
      rpc_layer: merged.rpcLayer,
      history: merged.history,
    },
  };
}

/** Runs `pdk-diff`; `argv` is what follows the subcommand. Returns the exit code. */
export async function runPdkDiff(argv: string[]): Promise<number> {
  const files: string[] = [];
  let out: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out') {
      out = argv[++i];
      if (!out) {
        process.stderr.write('pdk-diff: --out needs a file\n');
        return 2;
      }
    } else files.push(argv[i]!);
  }
  if (files.length !== 2) {
    process.stderr.write('pdk-diff: usage: pdk-diff <old pdk.yaml> <new pdk.yaml> [--out file.md]\n');
    return 2;
  }
  let md: string;
  try {
    md = pdkDiff(readPdkYaml(files[0]!), readPdkYaml(files[1]!));
  } catch (e) {
    process.stderr.write(`pdk-diff: ${(e as Error).message}\n`);
    return 1;
  }
  if (out) fs.writeFileSync(out, md);
  else process.stdout.write(md);
  return 0;
}
