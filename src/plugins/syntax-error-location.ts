/**
 * Where a plugin's syntax error is, as `file:line:col`. V8's SyntaxError message has no
 * location ("Unexpected token ';'"): for CommonJS, Node prepends `file:line`, the source line
 * and a caret to the stack, which give the column; ES modules get nothing, so the file is parsed
 * again with esbuild (only on this failure path) to find the spot.
 */
import * as fs from 'node:fs';
import { lazyEsbuild } from './lazy-esbuild.js';

/** `file:line:col` of a CommonJS SyntaxError from Node's stack header, if it has one. */
function fromStackHeader(stack: string): string | undefined {
  const lines = stack.split('\n');
  const head = /^(.+):(\d+)$/.exec(lines[0] ?? '');
  const caret = lines[2]?.indexOf('^') ?? -1;
  if (!head || caret < 0 || !/^\s*\^+\s*$/.test(lines[2] ?? '')) return undefined;
  return `${head[1]}:${head[2]}:${caret + 1}`;
}

/** `file:line:col` of the first syntax error esbuild finds in `file`, if any. */
function fromParser(file: string): string | undefined {
  let source: string;
  try {
    source = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    lazyEsbuild().transformSync(source, { loader: 'js', sourcefile: file, logLevel: 'silent' });
  } catch (e) {
    const loc = (e as { errors?: { location?: { line: number; column: number } | null }[] }).errors?.[0]?.location;
    // esbuild columns are 0-based.
    if (loc) return `${file}:${loc.line}:${loc.column + 1}`;
  }
  return undefined;
}

/**
 * The reason to report for a plugin that failed to load with `e`: for a SyntaxError,
 * `file:line:col: SyntaxError: message`; undefined for anything else.
 */
export function syntaxErrorReason(e: unknown, entry: string): string | undefined {
  if (!(e instanceof SyntaxError)) return undefined;
  const where = (e.stack && fromStackHeader(e.stack)) ?? fromParser(entry);
  return where ? `${where}: SyntaxError: ${e.message}` : undefined;
}
