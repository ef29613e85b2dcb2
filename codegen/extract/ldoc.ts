/**
 * Reads ldoc comment blocks from a tokenized Lua file: their lines, their tags, and where the
 * code after them starts. It reports what it saw (a block that starts with `--` instead of
 * `---`, a tag ldoc does not know) and leaves the decision to the caller: the extractor
 * repairs defects only through reviewed rules (idl/extract-rules.yaml).
 */
import type { Token } from './lua-lexer.js';

/** One `@tag[modifiers] text` of a block; `text` joins the tag's continuation lines with spaces. */
export interface DocTag {
  tag: string;
  /** What stood in brackets after the tag, e.g. `opt` for `@tparam[opt]`. */
  modifiers?: string;
  text: string;
  /** 1-based line of the tag. */
  line: number;
}

/** A run of own-line comments read as one doc block. */
export interface DocBlock {
  /** 1-based line of the first comment line (where Kong's `source:` points). */
  startLine: number;
  endLine: number;
  /** True when the block starts with `---` (ldoc reads only those). */
  ldoc: boolean;
  /** The text before the first tag. */
  summary: string;
  tags: DocTag[];
  /** Offset in the source just after the block (the code that follows starts there or later). */
  endOffset: number;
}

/** Tags whose text runs on over the following comment lines until the next tag. */
const CONTINUED = new Set(['tparam', 'param', 'treturn', 'return', 'phases', 'field']);

/** True for a comment token's value that opens an ldoc block (`---` but not a `----` rule). */
function opensLdoc(value: string): boolean {
  return /^-(?!-)/.test(value);
}

/**
 * Groups the own-line `--` comments of `tokens` into blocks. A block is a run of comment lines
 * on consecutive lines; a `---` line always starts a new block (Kong puts blocks back to back,
 * e.g. `kong.log` and `kong.log.LEVEL`). Blocks with no tag at all are dropped.
 */
export function readDocBlocks(tokens: readonly Token[]): DocBlock[] {
  const blocks: DocBlock[] = [];
  let run: Token[] = [];
  const flush = (): void => {
    if (run.length > 0) {
      const b = parseBlock(run);
      if (b.tags.length > 0) blocks.push(b);
    }
    run = [];
  };
  for (const t of tokens) {
    if (t.kind !== 'comment' || t.long || !t.ownLine) {
      flush();
      continue;
    }
    const last = run[run.length - 1];
    if (last && (t.line !== last.line + 1 || opensLdoc(t.value))) flush();
    run.push(t);
  }
  flush();
  return blocks;
}

function parseBlock(lines: Token[]): DocBlock {
  const first = lines[0]!;
  const summary: string[] = [];
  const tags: DocTag[] = [];
  let current: DocTag | undefined;
  let inUsage = false;
  for (const t of lines) {
    // Strip the leading dashes of `---`/`--` and one blank.
    const text = t.value.replace(/^-*/, '').replace(/^ /, '');
    const m = /^\s*@([A-Za-z_][A-Za-z0-9_]*)(?:\[([^\]]*)\])?(?:\s+(.*?))?\s*$/.exec(text);
    if (m) {
      current = {
        tag: m[1]!,
        text: (m[3] ?? '').trim(),
        line: t.line,
        ...(m[2] !== undefined ? { modifiers: m[2] } : {}),
      };
      tags.push(current);
      inUsage = m[1] === 'usage';
      continue;
    }
    if (inUsage) continue; // @usage runs to the end of the block; it is code, not text.
    const body = text.trim();
    if (!current) {
      if (body) summary.push(body);
      continue;
    }
    if (!body) {
      current = undefined; // a blank comment line ends a tag's text
      continue;
    }
    if (CONTINUED.has(current.tag)) current.text = `${current.text} ${body}`.trim();
  }
  const last = lines[lines.length - 1]!;
  return {
    startLine: first.line,
    endLine: last.line,
    ldoc: opensLdoc(first.value),
    summary: summary.join(' '),
    tags,
    endOffset: last.end,
  };
}

/** The first tag named `name`, if any. */
export function tagOf(block: DocBlock, name: string): DocTag | undefined {
  return block.tags.find((t) => t.tag === name);
}

/** Tags the extractor understands or deliberately ignores; anything else is reported. */
export const KNOWN_TAGS = new Set([
  'function',
  'tparam',
  'param',
  'treturn',
  'return',
  'phases',
  'local',
  'usage',
  'module',
  'classmod',
  'class',
  'field',
  'table',
  'section',
  'redirect',
  'release',
  'within',
  'see',
  'raise',
  'type',
  'author',
  'license',
  'copyright',
  'todo',
  'fixme',
  'warning',
  'note',
]);
