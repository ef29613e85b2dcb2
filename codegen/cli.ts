/**
 * `npm run codegen`: validates the IDL and writes `generated/`.
 *
 *   node dist-codegen/codegen/cli.js [--idl idl] [--out generated] [--check]
 *
 * `--check` writes nothing and exits 1 when `generated/` differs from what the IDL gives.
 * A bad IDL prints one line (`file:line:col: path: reason`) and exits 1.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { generate } from './generate.js';
import { IdlError } from './idl/errors.js';
import { loadIdl } from './idl/load.js';

interface Options {
  idl: string;
  out: string;
  check: boolean;
}

function parseArgs(argv: string[]): Options {
  const opts: Options = { idl: 'idl', out: 'generated', check: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--idl' || a === '--out') {
      const v = argv[++i];
      if (!v) throw new Error(`${a} needs a directory`);
      opts[a === '--idl' ? 'idl' : 'out'] = v;
    } else if (a === '--check') opts.check = true;
    else throw new Error(`unknown argument ${a}`);
  }
  return opts;
}

/** Writes `files` into `out`, removing generated files the IDL no longer produces. */
export function writeGenerated(out: string, files: Map<string, string>): string[] {
  fs.mkdirSync(out, { recursive: true });
  const changed: string[] = [];
  for (const existing of fs.readdirSync(out)) {
    if (!files.has(existing) && /\.(ts|json|md)$/.test(existing)) {
      fs.rmSync(path.join(out, existing));
      changed.push(existing);
    }
  }
  for (const [name, text] of files) {
    const target = path.join(out, name);
    if (fs.existsSync(target) && fs.readFileSync(target, 'utf8') === text) continue;
    fs.writeFileSync(target, text);
    changed.push(name);
  }
  return changed;
}

function main(): number {
  let opts: Options;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`codegen: ${(e as Error).message}\n`);
    return 2;
  }
  try {
    const idl = loadIdl(path.resolve(opts.idl), path.relative(process.cwd(), path.resolve(opts.idl)) || '.');
    const files = generate(idl);
    if (opts.check) {
      const stale = [...files].filter(([name, text]) => {
        const target = path.join(opts.out, name);
        return !fs.existsSync(target) || fs.readFileSync(target, 'utf8') !== text;
      });
      for (const [name] of stale) process.stderr.write(`codegen: ${path.join(opts.out, name)} differs from the IDL\n`);
      return stale.length ? 1 : 0;
    }
    const changed = writeGenerated(opts.out, files);
    process.stderr.write(`codegen: ${files.size} files in ${opts.out}/ (${changed.length} changed)\n`);
    return 0;
  } catch (e) {
    if (e instanceof IdlError) {
      process.stderr.write(`error: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

if (require.main === module) process.exitCode = main();
