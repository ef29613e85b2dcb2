/**
 * The README's install, scaffold and Docker steps, followed in a temporary directory: pack the
 * checkout, `kong-ts-pdk new my-plugin --pdk <tarball>`, `npm install`, `npm test`; then the
 * Dockerfile of the README's Docker section, run as a script (no container engine here): each
 * COPY/WORKDIR/RUN under a scratch "image" root, so the package lands in <root>/opt/kong-ts-pdk
 * and the plugins directory in <root>/usr/local/kong/js-plugins; and last Kong's QUERY_CMD and
 * START_CMD from the Dockerfile's ENV, run as Kong runs them (`/bin/sh -c`, an empty environment).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { tempDir, TOOL_BIN } from '../helpers/cli.js';
import { KongConnection, startInstance } from '../helpers/kong-client.js';
import { repoRoot } from '../helpers/paths.js';
import { cleanEnv, packRepo, run } from './helpers.js';

const README = fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8');

/** The README's Dockerfile, continuation lines joined. */
function dockerfile(): string[] {
  const m = /### Docker\n[\s\S]*?```dockerfile\n([\s\S]*?)```/.exec(README);
  assert.ok(m, 'the README has a dockerfile block in its Docker section');
  return m[1]!
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}

/** ENV KEY=value KEY="value with spaces" … */
function envOf(line: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of line.matchAll(/(\w+)=("([^"]*)"|\S+)/g)) out[m[1]!] = m[3] ?? m[2]!;
  return out;
}

let work: string;
let image: string;
let project: string;
const npmEnv = (): NodeJS.ProcessEnv => cleanEnv({ npm_config_prefer_offline: 'true' });

/** An absolute path of the image, under the scratch root; the image's node is this node. */
function inImage(p: string): string {
  if (p === '/usr/local/bin/node') return process.execPath;
  return path.join(image, p);
}

/** A command of the image with its absolute /opt and /usr/local paths moved under the root. */
function imageCommand(cmd: string): string {
  return cmd.replace(/(?<![\w./-])\/(?:opt|usr\/local)\/[^\s"']*/g, (p) => inImage(p));
}

before(() => {
  work = tempDir('kts-recipe-');
  image = path.join(work, 'image');
  project = path.join(work, 'my-plugin');
});
after(() => fs.rmSync(work, { recursive: true, force: true }));

test('install and scaffold: a new project on the tarball installs, and its own test passes', () => {
  // README "Install": npm pack of the checkout.
  const { tarball } = packRepo(work);
  // README "A new plugin project".
  fs.mkdirSync(project);
  fs.copyFileSync(tarball, path.join(project, path.basename(tarball)));
  const pdk = path.join('my-plugin', path.basename(tarball));
  run(process.execPath, [TOOL_BIN, 'new', 'my-plugin', '--pdk', pdk], { cwd: work });
  const manifest = JSON.parse(fs.readFileSync(path.join(project, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  assert.equal(manifest.dependencies['kong-ts-pdk'], `file:./${path.basename(tarball)}`);
  run('npm', ['install'], { cwd: project, env: npmEnv(), timeoutMs: 120000 });
  const t = run('npm', ['test'], { cwd: project, env: npmEnv() });
  assert.match(t.stdout, /# pass 2/);
  assert.match(t.stdout, /# fail 0/);
});

test("the Dockerfile's steps, then Kong's query and start commands as Kong runs them", async () => {
  assert.ok(fs.existsSync(path.join(project, 'package-lock.json')), 'the scaffold step ran');
  let workdir = '/';
  const env: Record<string, string> = {};
  for (const line of dockerfile()) {
    const [instruction, ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (instruction === 'FROM' || instruction === 'USER') continue;
    if (instruction === 'WORKDIR') {
      workdir = args;
      fs.mkdirSync(inImage(workdir), { recursive: true });
    } else if (instruction === 'COPY') {
      const parts = rest.filter((p) => !p.startsWith('--from='));
      const fromStage = rest.some((p) => p.startsWith('--from='));
      const dest = parts.pop()!;
      const target = dest.startsWith('/') ? inImage(dest) : path.join(inImage(workdir), dest);
      for (const src of parts) {
        // The stages share the scratch root: a copy from the node stage is already in place.
        if (fromStage) {
          assert.ok(fs.existsSync(inImage(src)), `${src} exists in the node stage`);
          continue;
        }
        const pattern = new RegExp(`^${src.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
        const matches = fs.readdirSync(project).filter((f) => pattern.test(f));
        assert.ok(matches.length > 0, `COPY ${src}: nothing in the build context matches`);
        fs.mkdirSync(dest.endsWith('/') ? target : path.dirname(target), { recursive: true });
        for (const f of matches)
          fs.copyFileSync(path.join(project, f), dest.endsWith('/') ? path.join(target, f) : target);
      }
    } else if (instruction === 'RUN') {
      run('/bin/sh', ['-c', imageCommand(args)], { cwd: inImage(workdir), env: npmEnv(), timeoutMs: 120000 });
    } else if (instruction === 'ENV') {
      Object.assign(env, envOf(args));
    } else {
      assert.fail(`the test does not know the instruction ${instruction}`);
    }
  }
  assert.ok(fs.existsSync(inImage('/opt/kong-ts-pdk/node_modules/kong-ts-pdk/bin/kong-ts-pluginserver')));
  assert.equal(fs.existsSync(inImage('/opt/kong-ts-pdk/node_modules/typescript')), false, 'dev dependencies installed');
  assert.ok(fs.existsSync(inImage('/usr/local/kong/js-plugins/my-plugin.ts')));
  assert.deepEqual(env.KONG_PLUGINSERVER_NAMES, 'js');
  assert.match(env.KONG_PLUGINS ?? '', /(^|,)my-plugin(,|$)/);

  // Kong's init: io.popen(query_cmd), all of stdout JSON-decoded.
  const query = spawnSync('/bin/sh', ['-c', imageCommand(env.KONG_PLUGINSERVER_JS_QUERY_CMD!)], {
    env: {},
    encoding: 'utf8',
    timeout: 60000,
  });
  assert.equal(query.status, 0, query.stderr);
  const infos = JSON.parse(query.stdout) as { Name: string; Phases: string[] }[];
  assert.deepEqual(
    infos.map((i) => [i.Name, i.Phases]),
    [['my-plugin', ['access', 'response', 'log']]],
  );

  // Worker 0: `exec <start_cmd>` through a shell, stderr merged into stdout.
  const socket = imageCommand(env.KONG_PLUGINSERVER_JS_SOCKET!);
  const server = spawn('/bin/sh', ['-c', `exec ${imageCommand(env.KONG_PLUGINSERVER_JS_START_CMD!)} 2>&1`], {
    env: {},
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let output = '';
  server.stdout.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => server.on('exit', (code) => resolve(code)));
  try {
    const deadline = Date.now() + 30000;
    while (!(await canConnect(socket))) {
      assert.equal(server.exitCode, null, `the server exited: ${output}`);
      assert.ok(Date.now() < deadline, `no socket at ${socket}: ${output}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    const c = await KongConnection.open(socket);
    const id = await startInstance(c, 'my-plugin', {});
    const first = await c.call('HandleEvent', { InstanceId: id, EventName: 'access' });
    assert.deepEqual(first.Data, { Method: 'kong.request.get_header', Args: ['x-caller'] });
    const second = await c.call('Step', { EventId: first.EventId });
    assert.deepEqual(second.Data, {
      Method: 'kong.response.exit',
      Args: [400, { message: 'missing header x-caller' }],
    });
    c.close();
    server.kill('SIGTERM');
    assert.equal(await exited, 0, output);
  } finally {
    server.kill('SIGKILL');
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
