#!/usr/bin/env node
'use strict';
// `npm start` runs this before the server: it compiles with tsc only when dist/ is older than
// the sources (or missing), so a second start listens at once instead of after a full build.
//
//   node bin/build-if-stale.js [--root <dir>] [--dry-run]
//
// Stale means: a .ts file under common/, src/ or generated/ (or tsconfig.json, package.json)
// is newer than its compiled .js in dist/, or has none. --dry-run prints "fresh" or
// "stale: <file>" and builds nothing.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const SOURCE_DIRS = ['common', 'src', 'generated'];
const CONFIG_FILES = ['tsconfig.json', 'package.json'];

function tsFiles(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true }).flatMap((e) => {
    const full = path.join(e.parentPath ?? e.path, e.name);
    return e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [full] : [];
  });
}

/** The first source that makes dist/ stale, or undefined when dist/ is fresh. */
function staleSource(root) {
  const mtime = (f) => fs.statSync(f).mtimeMs;
  const server = path.join(root, 'dist', 'src', 'cli', 'pluginserver.js');
  if (!fs.existsSync(server)) return path.relative(root, server) + ' (missing)';
  for (const c of CONFIG_FILES) {
    const f = path.join(root, c);
    if (fs.existsSync(f) && mtime(f) > mtime(server)) return c;
  }
  for (const dir of SOURCE_DIRS) {
    for (const src of tsFiles(path.join(root, dir))) {
      const rel = path.relative(root, src);
      const out = path.join(root, 'dist', rel.replace(/\.ts$/, '.js'));
      if (!fs.existsSync(out) || mtime(src) > mtime(out)) return rel;
    }
  }
  return undefined;
}

function main(argv) {
  let root = path.resolve(__dirname, '..');
  let dryRun = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--root' && argv[i + 1] !== undefined) root = path.resolve(argv[++i]);
    else if (argv[i] === '--dry-run') dryRun = true;
    else {
      process.stderr.write(`build-if-stale: unknown argument ${argv[i]}\n`);
      return 2;
    }
  }
  const stale = staleSource(root);
  if (dryRun) {
    process.stdout.write(stale ? `stale: ${stale}\n` : 'fresh\n');
    return 0;
  }
  if (!stale) return 0;
  process.stderr.write(`dist/ is older than ${stale}: building\n`);
  const tsc = require.resolve('typescript/bin/tsc', { paths: [root] });
  const r = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.json')], { stdio: 'inherit' });
  return r.status ?? 1;
}

process.exitCode = main(process.argv.slice(2));
