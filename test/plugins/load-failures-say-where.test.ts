/**
 * A plugin that fails to load is reported with where and why, by a server process: a syntax
 * error as file:line:col (in the plugin or in a module it requires, CommonJS or ES module), and
 * a plugin package directory the server cannot read, instead of being skipped unseen, and a
 * `RawBodies` export that is no mode. The
 * plugins beside them still load.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SERVER_BIN, tempDir } from '../helpers/cli.js';
import { fixture } from '../helpers/paths.js';

let dir: string;
let plugins: string;

/** The server's dump of `plugins`, run as a user who cannot read mode-000 directories (root can). */
function dump(): { status: number | null; names: string[]; stderr: string } {
  const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
  const r = spawnSync(process.execPath, [SERVER_BIN, '-d', plugins, '--dump-all-plugins'], {
    ...asNobody,
    timeout: 15_000,
  });
  const stdout = r.stdout.toString();
  return {
    status: r.status,
    names: r.status === 0 ? (JSON.parse(stdout) as { Name: string }[]).map((p) => p.Name) : [],
    stderr: r.stderr.toString(),
  };
}

before(() => {
  dir = tempDir('kts-load-errors-');
  plugins = path.join(dir, 'plugins');
  fs.cpSync(fixture('plugins', 'load-errors'), plugins, { recursive: true });
  fs.rmSync(path.join(plugins, 'README.md'));
  // A plugin package the server cannot read.
  const locked = path.join(plugins, 'locked');
  fs.mkdirSync(locked);
  fs.writeFileSync(path.join(locked, 'package.json'), '{"main": "index.js"}');
  fs.writeFileSync(
    path.join(locked, 'index.js'),
    'module.exports = { Plugin: class {}, Version: "1.0.0", Priority: 1 };',
  );
  fs.chmodSync(locked, 0o000);
  // The rest stays readable by the unprivileged user the dump runs as.
  fs.chmodSync(dir, 0o755);
  fs.chmodSync(plugins, 0o755);
});
after(() => {
  fs.chmodSync(path.join(plugins, 'locked'), 0o755);
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('load failures say where', () => {
  test('syntax errors as file:line:col, an unreadable package directory and a bad RawBodies by name, the good plugin still dumped', () => {
    const r = dump();
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.names, ['good']);
    const line = (name: string): string => r.stderr.split('\n').find((l) => l.includes(`${name} failed to load`)) ?? '';
    assert.match(line('cjs-syntax.js'), /cjs-syntax\.js:4:41: SyntaxError: Unexpected token ';'/);
    assert.match(line('esm-syntax.mjs'), /esm-syntax\.mjs:3:18: SyntaxError: Unexpected token ';'/);
    assert.match(line('dep-syntax.js'), /helpers\/bad-helper\.js:2:11: SyntaxError: Unexpected token '\)'/);
    assert.match(line(`${path.sep}locked`), /EACCES: permission denied/);
    assert.match(line('bad-raw-bodies.js'), /RawBodies must be 'buffer' or 'kong-js-pdk', not "bytes"/);
  });
});
