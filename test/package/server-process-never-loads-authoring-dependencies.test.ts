/**
 * The server process Kong starts never loads ts-morph, handlebars, yaml or typescript, even for
 * a `.ts` plugin with no `Schema` export and no sidecar (its schema is derived in a child
 * process, src/authoring/schema-derivation-process.ts). Each process runs under
 * test/fixtures/load-record/record-loads.cjs, which lists every module it loaded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { KongConnection, startInstance } from '../helpers/kong-client.js';
import { SERVER_BIN, tempDir } from '../helpers/cli.js';
import { fixture } from '../helpers/paths.js';

const RECORDER = fixture('load-record', 'record-loads.cjs');
const FORBIDDEN = ['ts-morph', '@ts-morph', 'handlebars', 'yaml', 'typescript'];

/** The forbidden packages among the recorded module paths. */
function forbiddenLoads(record: string): string[] {
  const loaded = JSON.parse(fs.readFileSync(record, 'utf8')) as string[];
  return loaded.filter((file) =>
    FORBIDDEN.some((pkg) => file.includes(`${path.sep}node_modules${path.sep}${pkg}${path.sep}`) || file === pkg),
  );
}

function loadedPackage(record: string, pkg: string): boolean {
  const loaded = JSON.parse(fs.readFileSync(record, 'utf8')) as string[];
  return loaded.some((file) => file.includes(`${path.sep}node_modules${path.sep}${pkg}${path.sep}`));
}

/** A plugins directory holding the schema-less TS fixture, a fresh schema cache and a record file. */
function setup(): { root: string; dir: string; env: NodeJS.ProcessEnv; record: string } {
  const root = tempDir('kts-load-guard-');
  const dir = path.join(root, 'plugins');
  fs.mkdirSync(dir);
  fs.copyFileSync(fixture('schema', 'plugins', 'ts-derived.ts'), path.join(dir, 'ts-derived.ts'));
  const record = path.join(root, 'loaded.json');
  const env = { ...process.env, KTS_LOAD_RECORD: record, KONG_TS_PDK_SCHEMA_CACHE: path.join(root, 'cache') };
  return { root, dir, env, record };
}

test('the recorder catches a forbidden package (so the checks below can fail)', () => {
  const { root, env, record } = setup();
  try {
    const r = spawnSync(process.execPath, ['--require', RECORDER, '-e', "require('yaml')"], { env, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(
      forbiddenLoads(record).some((f) => f.includes(`${path.sep}yaml${path.sep}`)),
      'yaml not recorded',
    );
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('a dump of a schema-less .ts plugin derives its schema without loading ts-morph, handlebars, yaml or typescript', () => {
  const { root, dir, env, record } = setup();
  try {
    const r = spawnSync(process.execPath, ['--require', RECORDER, SERVER_BIN, '-d', dir, '--dump-all-plugins'], {
      env,
      encoding: 'utf8',
      timeout: 60000,
    });
    assert.equal(r.status, 0, r.stderr);
    const [info] = JSON.parse(r.stdout) as { Name: string; Schema: { fields: { config: { fields: unknown[] } }[] } }[];
    assert.equal(info!.Name, 'ts-derived');
    assert.deepEqual(info!.Schema.fields[0]!.config.fields[0], {
      header: { type: 'string', required: true, default: 'x-derived' },
    });
    assert.ok(loadedPackage(record, 'esbuild'), 'the recorder saw the .ts loader (esbuild) load');
    assert.deepEqual(forbiddenLoads(record), []);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('serving an event of a schema-less .ts plugin loads none of them either', async () => {
  const { root, dir, env, record } = setup();
  const sock = path.join(root, 'js_pluginserver.sock');
  const child = spawn(process.execPath, ['--require', RECORDER, SERVER_BIN, '-d', dir, '-p', root], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const deadline = Date.now() + 30000;
    while (!(await canConnect(sock))) {
      assert.equal(child.exitCode, null, `server exited: ${stderr}`);
      assert.ok(Date.now() < deadline, `server did not listen: ${stderr}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    const c = await KongConnection.open(sock);
    const id = await startInstance(c, 'ts-derived', { label: 'l' });
    const r = await c.call('HandleEvent', { InstanceId: id, EventName: 'access' });
    // The derived schema's defaults were applied at StartInstance.
    assert.deepEqual(r.Data, {
      Method: 'kong.response.set_header',
      Args: ['x-config', JSON.stringify({ label: 'l', header: 'x-derived', attempts: 3 })],
    });
    assert.equal((await c.call('Step', { EventId: r.EventId })).Data, 'ret');
    c.close();
    child.kill('SIGTERM');
    assert.equal(await exited, 0, stderr);
    assert.deepEqual(forbiddenLoads(record), []);
  } finally {
    child.kill('SIGKILL');
    fs.rmSync(root, { recursive: true, force: true });
  }
});

function canConnect(sock: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(sock, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}
