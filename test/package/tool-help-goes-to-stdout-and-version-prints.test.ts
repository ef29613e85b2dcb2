/** `kong-ts-pdk --help` / `--version`: stdout with exit status 0 (`| less` shows the help); bad usage exits 2 on stderr. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runBin, TOOL_BIN } from '../helpers/cli.js';
import { repoRoot } from '../helpers/paths.js';

const VERSION = (JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string })
  .version;

test('--help and -h print the commands on stdout and exit 0', () => {
  for (const flag of ['--help', '-h']) {
    const r = runBin(TOOL_BIN, [flag]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    for (const command of ['launcher', 'new', 'schema', 'extract', 'pdk-diff'])
      assert.match(r.text, new RegExp(`^  ${command} `, 'm'));
  }
});

test("a command's --help goes to stdout with exit 0", () => {
  for (const command of ['launcher', 'new', 'schema']) {
    const r = runBin(TOOL_BIN, [command, '--help']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.text, new RegExp(`^Usage: kong-ts-pdk ${command} `));
  }
});

test("--version prints the package's version", () => {
  const r = runBin(TOOL_BIN, ['--version']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.text, `${VERSION}\n`);
});

test('no command or an unknown one: the commands on stderr, exit 2', () => {
  for (const args of [[], ['frobnicate']]) {
    const r = runBin(TOOL_BIN, args);
    assert.equal(r.status, 2);
    assert.equal(r.text, '');
    assert.match(r.stderr, /Usage: kong-ts-pdk <command>/);
  }
  assert.match(runBin(TOOL_BIN, ['frobnicate']).stderr, /^kong-ts-pdk: unknown command frobnicate/);
});
