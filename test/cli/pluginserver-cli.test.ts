/**
 * The real kong-ts-pluginserver CLI: dumps (stdout only JSON/MessagePack, logs on stderr), a
 * broken plugin next to good ones, every file form of kong-js-pdk modules, both modes over a
 * socket, SIGTERM, stale sockets and usage errors (docs/protocol.md §4, cases 42–45).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { decode } from '@msgpack/msgpack';
import { KongConnection, startInstance } from '../helpers/kong-client.js';
import { runBin, SERVER_BIN, startServerProcess, tempDir, TOOL_BIN } from '../helpers/cli.js';
import { fixture, repoRoot } from '../helpers/paths.js';

const DIR = fixture('cli-plugins');
const GOOD = ['named-cjs', 'esm-default', 'esm-named', 'js-plugin', 'pkg-plugin', 'ts-plugin'];

interface Info {
  Name: string;
  Phases: string[];
  Version: string;
  Priority: number;
  Schema: { name: string; fields: { config: { type: string; fields: unknown[] } }[] };
}

test('case 42: --dump-all-plugins prints only a JSON array of the loadable plugins; broken ones are reported on stderr', () => {
  for (const flag of ['--dump-all-plugins', '-dump-all-plugins']) {
    const r = runBin(SERVER_BIN, ['-d', DIR, flag]);
    assert.equal(r.status, 0, r.stderr);
    const infos = JSON.parse(r.text) as Info[];
    assert.deepEqual(
      infos.map((i) => i.Name),
      GOOD,
    );
    for (const i of infos) {
      assert.match(i.Version, /^\d+(\.\d+){0,2}$/);
      assert.ok(Number.isInteger(i.Priority));
      assert.deepEqual(Object.keys(i).sort(), ['Name', 'Phases', 'Priority', 'Schema', 'Version']);
      assert.equal(i.Schema.name, i.Name);
      assert.equal(i.Schema.fields[0]!.config.type, 'record');
    }
    assert.match(r.stderr, /broken-syntax\.js failed to load: /);
    assert.match(r.stderr, /no-version .* left out of the dump: .*Version is missing/);
    assert.match(r.stderr, /filters .* phase header_filter cannot be served/);
  }
});

test('every kong-js-pdk file form loads: .js, .cjs with Name, .mjs default and named exports, .ts, a package directory', () => {
  const infos = JSON.parse(runBin(SERVER_BIN, ['-d', DIR, '--dump-all-plugins']).text) as Info[];
  const byName = new Map(infos.map((i) => [i.Name, i]));
  assert.deepEqual(byName.get('named-cjs')?.Version, '1.2');
  assert.deepEqual(byName.get('esm-default')?.Schema.fields[0]!.config.fields, [
    { n: { type: 'integer', default: 1 } },
  ]);
  assert.deepEqual(byName.get('esm-named')?.Phases, ['rewrite']);
  assert.deepEqual(byName.get('ts-plugin')?.Schema.fields[0]!.config.fields, [
    { greeting: { type: 'string', default: 'hi' } },
  ]);
  assert.deepEqual(byName.get('pkg-plugin')?.Phases, ['log']);
});

test('case 42: --dump-plugin-info prints one info as MessagePack', () => {
  const r = runBin(SERVER_BIN, ['-d', DIR, '--dump-plugin-info', 'js-plugin']);
  assert.equal(r.status, 0, r.stderr);
  const info = decode(r.stdout) as Info;
  assert.equal(info.Name, 'js-plugin');
  assert.deepEqual(info.Phases, ['access']);
  const missing = runBin(SERVER_BIN, ['-d', DIR, '--dump-plugin-info', 'nope']);
  assert.equal(missing.status, 1);
  assert.equal(missing.text, '');
});

test('case 42: one-plugin mode -dump and --dump print {"Protocol":"MsgPack:1","Plugins":[info]}', () => {
  for (const flag of ['-dump', '--dump']) {
    const r = runBin(SERVER_BIN, ['-d', DIR, '--plugin', 'ts-plugin', flag]);
    assert.equal(r.status, 0, r.stderr);
    const dump = JSON.parse(r.text) as { Protocol: string; Plugins: Info[] };
    assert.equal(dump.Protocol, 'MsgPack:1');
    assert.deepEqual(
      dump.Plugins.map((p) => p.Name),
      ['ts-plugin'],
    );
  }
  const ambiguous = runBin(SERVER_BIN, ['-d', DIR, '-dump']);
  assert.equal(ambiguous.status, 1);
  assert.match(ambiguous.stderr, /-dump needs --plugin/);
});

test('--help and -h print the flags on stdout and exit 0 (so `--help | less` shows them)', () => {
  for (const flag of ['--help', '-h']) {
    const help = runBin(SERVER_BIN, [flag]);
    assert.equal(help.status, 0, flag);
    assert.match(help.text, /--plugins-directory/, flag);
    assert.equal(help.stderr, '', flag);
  }
});

test('--version prints the package version on stdout and exits 0', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };
  const r = runBin(SERVER_BIN, ['--version']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.text, `${pkg.version}\n`);
});

test('unknown flags print a clear message and exit 2; -d is required', () => {
  const bad = runBin(SERVER_BIN, ['-d', DIR, '--frobnicate']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /unknown flag --frobnicate/);
  const noDir = runBin(SERVER_BIN, ['--dump-all-plugins']);
  assert.equal(noDir.status, 2);
  assert.match(noDir.stderr, /-d\/--plugins-directory is required/);
});

test('case 43 + 44: multi-plugin mode with -kong-prefix serves every plugin, greets with its pid, exits on SIGTERM and removes the socket', async () => {
  const prefix = tempDir();
  const sock = path.join(prefix, 'js_pluginserver.sock');
  const srv = await startServerProcess(['-kong-prefix', prefix, '-d', DIR], sock);
  try {
    const c = await KongConnection.open(sock);
    const id = await startInstance(c, 'ts-plugin', { greeting: 'yo' });
    const r = await c.call('HandleEvent', { InstanceId: id, EventName: 'access' });
    assert.deepEqual(r.Data, { Method: 'kong.response.set_header', Args: ['x-from', 'ts-plugin:yo'] });
    assert.equal((await c.call('Step', { EventId: r.EventId })).Data, 'ret');
    const esm = await startInstance(c, 'esm-named');
    assert.equal((await c.call('HandleEvent', { InstanceId: esm, EventName: 'rewrite' })).Data.Args[1], 'esm-named');
    assert.deepEqual(c.notifications, [[2, 'serverPid', srv.child.pid]]);
    c.close();
    const t0 = Date.now();
    srv.child.kill('SIGTERM');
    const { code } = await srv.exited;
    assert.equal(code, 0);
    assert.ok(Date.now() - t0 < 1000, `took ${Date.now() - t0} ms`);
    assert.equal(fs.existsSync(sock), false);
  } finally {
    srv.child.kill('SIGKILL');
  }
});

test('one-plugin mode listens on <prefix>/<name>.socket and serves only that plugin', async () => {
  const prefix = tempDir();
  const sock = path.join(prefix, 'js-plugin.socket');
  const srv = await startServerProcess(['-d', DIR, '--plugin', 'js-plugin', '--kong-prefix', prefix], sock);
  try {
    const c = await KongConnection.open(sock);
    await startInstance(c, 'js-plugin');
    assert.match(
      await c.callError('StartInstance', { Name: 'ts-plugin', Config: '{}' }),
      /plugin ts-plugin is not loaded/,
    );
    c.close();
  } finally {
    srv.child.kill('SIGTERM');
    await srv.exited;
  }
});

test('case 43 + 45: a stale socket file left by a killed server is replaced, the new server greets with its new pid and knows no old id; a missing socket directory is a clear error', async () => {
  const prefix = tempDir();
  const sock = path.join(prefix, 'x.sock');
  const first = await startServerProcess(['-d', DIR, '-p', prefix, '--sock-name', 'x.sock'], sock);
  first.child.kill('SIGKILL');
  await first.exited;
  assert.ok(fs.existsSync(sock), 'SIGKILL leaves the socket file behind');
  const second = await startServerProcess(['-d', DIR, '-p', prefix, '--sock-name', 'x.sock'], sock);
  try {
    const c = await KongConnection.open(sock);
    // case 45: a restarted server greets with its new pid and knows none of the old ids.
    assert.equal(await c.callError('InstanceStatus', 12345), 'No plugin instance 12345');
    assert.deepEqual(c.notifications, [[2, 'serverPid', second.child.pid]]);
    c.close();
  } finally {
    second.child.kill('SIGTERM');
    await second.exited;
  }
  const r = runBin(SERVER_BIN, ['-d', DIR, '-p', path.join(prefix, 'missing')]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /socket directory .*missing does not exist/);
});

test('case 44: the server exits when its parent dies', async () => {
  const prefix = tempDir();
  const sock = path.join(prefix, 'orphan.sock');
  const pidFile = path.join(prefix, 'pid');
  // A parent shell starts the server in the background and exits at once.
  const { spawn } = await import('node:child_process');
  const parent = spawn(
    '/bin/sh',
    [
      '-c',
      `"${process.execPath}" "${SERVER_BIN}" -d "${DIR}" -p "${prefix}" --sock-name orphan.sock 2>/dev/null & echo $! > "${pidFile}"; sleep 0.5`,
    ],
    { stdio: 'ignore' },
  );
  await new Promise((r) => parent.on('exit', r));
  const pid = Number(fs.readFileSync(pidFile, 'utf8'));
  const deadline = Date.now() + 3000;
  let alive = true;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      alive = false;
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  if (alive) process.kill(pid, 'SIGKILL');
  assert.equal(alive, false, 'the orphaned server kept running');
  assert.equal(fs.existsSync(sock), false);
});

test('kong-ts-pdk launcher writes an executable that Kong 3.9 can start and query with -dump', async () => {
  const dir = tempDir();
  const launcher = path.join(dir, 'ts-plugin');
  const w = runBin(TOOL_BIN, ['launcher', 'ts-plugin', '-d', DIR, '--out', launcher, '-p', dir]);
  assert.equal(w.status, 0, w.stderr);
  assert.ok(fs.statSync(launcher).mode & 0o111);
  const { spawnSync, spawn } = await import('node:child_process');
  const q = spawnSync(launcher, ['-dump'], { encoding: 'utf8' });
  assert.equal(q.status, 0, q.stderr);
  assert.equal((JSON.parse(q.stdout) as { Plugins: Info[] }).Plugins[0]!.Name, 'ts-plugin');
  const child = spawn(launcher, [], { stdio: 'ignore' });
  const sock = path.join(dir, 'ts-plugin.socket');
  const deadline = Date.now() + 10000;
  while (!fs.existsSync(sock) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  try {
    const c = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect(sock, () => resolve(s));
      s.on('error', reject);
    });
    c.destroy();
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.on('exit', r));
  }
});

test('a plugin declaring MinKongVersion is warned about PDK calls that Kong lacks, and still dumped', () => {
  const r = runBin(SERVER_BIN, ['-d', fixture('version-plugins'), '--dump-all-plugins']);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(
    (JSON.parse(r.text) as Info[]).map((i) => i.Name),
    ['old-target'],
  );
  assert.match(
    r.stderr,
    /\[warn\] plugin old-target targets Kong 2\.8\.0 but calls kong\.request\.getRawPath \(kong\.request\.get_raw_path\), which Kong 3\.0\.0 added/,
  );
  assert.match(r.stderr, /kong\.service\.request\.clear_query_arg\), which Kong 3\.9\.0 added/);
  assert.doesNotMatch(r.stderr, /setHeader/);
});

test('one-plugin mode loads only the plugin named like its file, so each of Kong 3.9 queries stays cheap', () => {
  const own = runBin(SERVER_BIN, ['-d', DIR, '--plugin', 'js-plugin', '-dump']);
  assert.equal(own.status, 0, own.stderr);
  assert.doesNotMatch(own.stderr, /broken-syntax/, 'a sibling was loaded');
  // A plugin whose Name export differs from its file name is still found, by loading the directory.
  const named = runBin(SERVER_BIN, ['-d', DIR, '--plugin', 'named-cjs', '-dump']);
  assert.equal(named.status, 0, named.stderr);
  assert.equal((JSON.parse(named.text) as { Plugins: Info[] }).Plugins[0]!.Name, 'named-cjs');
});
