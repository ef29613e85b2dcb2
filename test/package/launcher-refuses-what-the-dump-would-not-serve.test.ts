/**
 * `kong-ts-pdk launcher <name> -d <dir>` checks the directory and the plugin as the server's
 * `-dump` would, and writes nothing when Kong could not start or query the result.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runBin, tempDir, TOOL_BIN } from '../helpers/cli.js';
import { fixture } from '../helpers/paths.js';

const made: string[] = [];
after(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

function scratch(prefix: string): string {
  const d = tempDir(prefix);
  made.push(d);
  return d;
}

function launcher(args: string[]): { status: number | null; stdout: string; stderr: string; out: string } {
  const dir = scratch('kts-launcher-');
  const out = path.join(dir, 'launcher');
  const r = runBin(TOOL_BIN, ['launcher', ...args, '--out', out], 30000);
  return { status: r.status, stdout: r.text, stderr: r.stderr, out };
}

test('a missing plugins directory fails with the reason and writes no launcher', () => {
  const r = launcher(['nope', '-d', '/does/not/exist']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^kong-ts-pdk launcher: the plugins directory \/does\/not\/exist cannot be read: ENOENT/);
  assert.match(r.stderr, /no launcher written\n$/);
  assert.equal(fs.existsSync(r.out), false);
});

test('a file given as the directory, a plugin that is not there, and one that fails to load are refused', () => {
  const file = launcher(['nope', '-d', fixture('cli-plugins', 'js-plugin.js')]);
  assert.equal(file.status, 1);
  assert.match(file.stderr, /js-plugin\.js is not a directory/);

  const absent = launcher(['nope', '-d', fixture('cli-plugins')]);
  assert.equal(absent.status, 1);
  assert.match(absent.stderr, /plugin nope is not in .*cli-plugins \(found: .*js-plugin.*\)/);
  assert.equal(fs.existsSync(absent.out), false);

  const dir = scratch('kts-launcher-dir-');
  fs.writeFileSync(path.join(dir, 'broken.js'), 'module.exports = { Version: "1.0.0" };\n');
  const broken = launcher(['broken', '-d', dir]);
  assert.equal(broken.status, 1);
  assert.match(broken.stderr, /plugin broken \(.*broken\.js\) failed to load: exports no Plugin class/);
});

test('a plugin Kong would refuse is refused with the dump reasons; a good one gets its launcher', () => {
  const dir = scratch('kts-launcher-dir-');
  fs.writeFileSync(
    path.join(dir, 'filtered.js'),
    'class P { body_filter() {} }\nmodule.exports = { Plugin: P, Version: "1.0.0", Priority: 1 };\n',
  );
  const refused = launcher(['filtered', '-d', dir]);
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /Kong would refuse plugin filtered \(.*filtered\.js\): .*body_filter/);

  const ok = launcher(['js-plugin', '-d', fixture('cli-plugins')]);
  assert.equal(ok.status, 0, ok.stderr);
  assert.ok(fs.statSync(ok.out).mode & 0o111);
});
