/**
 * `kong-ts-pdk new`: the scaffold writes a plugin whose own test passes under the kit, that
 * type-checks, that the server dumps, and that the server serves.
 *
 * The generated test imports the kit by module specifier. Here it is written with the absolute
 * path of this checkout's dist/src/testing/index.js (`kit` option), so it runs from a temporary
 * directory with nothing installed; the plugin's type-only `import … from 'kong-ts-pdk'` is
 * resolved for the type check through a node_modules/kong-ts-pdk symlink to the checkout, as
 * `npm install` of the package would. A last test uses the default specifier
 * `kong-ts-pdk/testing` through that symlink; it needs the package's `./testing` and
 * `./testing/register` exports and is skipped while package.json lacks them.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { pdkDependencySpec, runNew, scaffoldPlugin } from '../../src/authoring/scaffold.js';
import { connectPlugin } from '../../src/testing/index.js';
import { runBin, SERVER_BIN, startServerProcess } from '../helpers/cli.js';
import { repoRoot } from '../helpers/paths.js';
import { typeCheck } from '../helpers/typecheck.js';

const KIT = path.join(repoRoot, 'dist', 'src', 'testing', 'index.js');
const REGISTER = path.join(repoRoot, 'dist', 'src', 'testing', 'register.js');

function runNodeTest(file: string, register: string, cwd: string): { status: number | null; out: string } {
  // Without the parent's NODE_TEST_CONTEXT, or the child thinks it is a nested run and skips the file.
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  const r = spawnSync(process.execPath, ['--require', register, '--test', '--test-reporter=tap', file], {
    cwd,
    env,
    timeout: 60000,
    encoding: 'utf8',
  });
  return { status: r.status, out: `${r.stdout}\n${r.stderr}` };
}

let tmp: string;
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kts-new-'));
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('scaffoldPlugin', () => {
  let dir: string;
  before(() => {
    dir = path.join(tmp, 'plugins');
    const r = scaffoldPlugin('hello-world', dir, { kit: KIT });
    assert.deepEqual(r.files.map((f) => path.basename(f)).sort(), [
      'README.md',
      'hello-world.test.ts',
      'hello-world.ts',
      'package.json',
      'tsconfig.json',
    ]);
    fs.mkdirSync(path.join(dir, 'node_modules'));
    fs.symlinkSync(repoRoot, path.join(dir, 'node_modules', 'kong-ts-pdk'), 'dir');
  });

  test('the plugin has a config interface, a KongPlugin class and a PluginModule export', () => {
    const src = fs.readFileSync(path.join(dir, 'hello-world.ts'), 'utf8');
    assert.match(src, /export interface HelloWorldConfig \{/);
    assert.match(src, /class HelloWorld implements KongPlugin<HelloWorldConfig>/);
    assert.match(
      src,
      /const plugin: PluginModule<HelloWorldConfig> = \{\s+Plugin: HelloWorld,\s+Version: '0\.1\.0',\s+Priority: 1000,\s+Schema: \[/,
    );
  });

  test('its own test passes under the kit', () => {
    const r = runNodeTest(path.join(dir, 'hello-world.test.ts'), REGISTER, dir);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /# pass 2/);
    assert.match(r.out, /# fail 0/);
  });

  test("plugin and test type-check with the project's strict options", () => {
    assert.deepEqual(typeCheck([path.join(dir, 'hello-world.ts'), path.join(dir, 'hello-world.test.ts')]), []);
  });

  test('the server dumps it for Kong 3.9+', () => {
    const r = runBin(SERVER_BIN, ['-d', dir, '--plugin', 'hello-world', '-dump']);
    assert.equal(r.status, 0, r.stderr);
    const dump = JSON.parse(r.text) as {
      Protocol: string;
      Plugins: {
        Name: string;
        Phases: string[];
        Version: string;
        Priority: number;
        Schema: { fields: { config: { fields: unknown[] } }[] };
      }[];
    };
    assert.equal(dump.Protocol, 'MsgPack:1');
    assert.equal(dump.Plugins.length, 1);
    const info = dump.Plugins[0]!;
    assert.deepEqual(
      [info.Name, info.Phases, info.Version, info.Priority],
      ['hello-world', ['access', 'response', 'log'], '0.1.0', 1000],
    );
    assert.equal(info.Schema.fields[0]!.config.fields.length, 3);
    const all = runBin(SERVER_BIN, ['-d', dir, '--dump-all-plugins']);
    assert.deepEqual(
      (JSON.parse(all.text) as { Name: string }[]).map((p) => p.Name),
      ['hello-world'],
      'the test file, README and project files are not plugins',
    );
  });

  test("the server serves it: a kit connected to the server process gets the plugin's answers", async () => {
    const sock = path.join(tmp, 'hello-world.socket');
    const proc = await startServerProcess(['-d', dir, '--plugin', 'hello-world', '-p', tmp], sock);
    try {
      const kit = await connectPlugin(sock, 'hello-world', { config: { required_header: 'x-user' } });
      const refused = await kit.request().run();
      assert.equal(refused.exit?.status, 400);
      assert.deepEqual(refused.exit?.body, { message: 'missing header x-user' });
      const served = await kit.request({ headers: { 'x-user': 'bob' }, upstream: { status: 202 } }).run();
      assert.equal(served.serviceRequest.header('x-hello-world-caller'), 'bob');
      assert.equal(served.response.header('x-hello-world'), 'hello from hello-world (upstream 202)');
      assert.deepEqual(served.logMessages('info'), ['hello-world: request from bob']);
      await kit.close();
    } finally {
      proc.child.kill('SIGTERM');
      await proc.exited;
    }
  });

  test('the README gives the commands to test, dump and serve it', () => {
    const text = fs.readFileSync(path.join(dir, 'README.md'), 'utf8');
    assert.ok(text.includes(`node --require ${REGISTER} --test hello-world.test.ts`));
    assert.ok(text.includes('kong-ts-pluginserver -d . --plugin hello-world -dump'));
    assert.ok(text.includes('kong-ts-pluginserver -d /path/to/this/dir --plugin hello-world -p /usr/local/kong'));
    assert.ok(text.includes('pluginserver_hello_world_query_cmd'));
  });

  test('a second plugin in the same directory keeps the project files and is dumped beside the first', () => {
    const r = scaffoldPlugin('second', dir, { kit: KIT });
    assert.deepEqual(r.files.map((f) => path.basename(f)).sort(), ['second.README.md', 'second.test.ts', 'second.ts']);
    assert.match(fs.readFileSync(path.join(dir, 'README.md'), 'utf8'), /^# hello-world\n/);
    assert.throws(() => scaffoldPlugin('second', dir, { kit: KIT }), /refusing to overwrite .*second\.ts/);
    const all = runBin(SERVER_BIN, ['-d', dir, '--dump-all-plugins']);
    assert.deepEqual(
      (JSON.parse(all.text) as { Name: string }[]).map((p) => p.Name),
      ['hello-world', 'second'],
    );
  });
});

/** Output streams that keep what a command writes (so the test run shows none of it). */
function capture(): { io: { out: Writable; err: Writable }; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  const sink = (append: (s: string) => void) =>
    new Writable({
      write(chunk: Buffer | string, _enc, done) {
        append(chunk.toString());
        done();
      },
    });
  return {
    io: { out: sink((x) => (out += x)), err: sink((x) => (err += x)) },
    out: () => out,
    err: () => err,
  };
}

describe('runNew (kong-ts-pdk new)', () => {
  test('writes into ./<name> by default, or --dir; says what it wrote and what to run next', async () => {
    const cwd = process.cwd();
    const work = path.join(tmp, 'cli');
    fs.mkdirSync(work);
    process.chdir(work);
    try {
      const c = capture();
      assert.equal(await runNew(['my_plugin'], c.io), 0);
      assert.ok(fs.existsSync(path.join(work, 'my_plugin', 'my_plugin.ts')));
      assert.match(c.out(), /^wrote my_plugin\/my_plugin\.ts, /);
      assert.match(c.out(), /\nnext:\n {2}cd my_plugin\n {2}npm install\n/);
      assert.equal(c.err(), '');
      assert.equal(await runNew(['other', '--dir', 'elsewhere', '--no-project'], c.io), 0);
      assert.deepEqual(fs.readdirSync(path.join(work, 'elsewhere')).sort(), ['README.md', 'other.test.ts', 'other.ts']);
      assert.equal(await runNew(['other', '--dir', 'elsewhere'], c.io), 1, 'refuses to overwrite');
      assert.match(c.err(), /kong-ts-pdk new: refusing to overwrite .*other\.ts/);
      assert.equal(await runNew(['other', '--dir', 'elsewhere', '--force'], c.io), 0);
      assert.equal(await runNew(['Bad Name'], c.io), 2);
      assert.match(c.err(), /plugin name "Bad Name" must be lower-case/);
      assert.equal(await runNew([], c.io), 2);
      assert.equal(await runNew(['a', 'b'], c.io), 2);
      assert.equal(await runNew(['x', '--bogus'], c.io), 2);
      const help = capture();
      assert.equal(await runNew(['--help'], help.io), 0);
      assert.match(help.out(), /--pdk <path\|tarball\|version>/);
      assert.equal(help.err(), '');
    } finally {
      process.chdir(cwd);
    }
  });

  test('kong-ts-pdk is a dependency (production installs get the server), by default the running copy', () => {
    const dir = path.join(tmp, 'deps');
    scaffoldPlugin('deps', dir);
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    assert.deepEqual(pkg.dependencies, { 'kong-ts-pdk': `file:${repoRoot}` });
    assert.equal(pkg.devDependencies['kong-ts-pdk'], undefined);
  });

  test('--pdk takes a directory or tarball (written relative to the project) or a registry version', async () => {
    const project = path.join(tmp, 'pdk-project');
    const tarball = path.join(tmp, 'kong-ts-pdk-9.9.9.tgz');
    fs.writeFileSync(tarball, '');
    assert.equal(pdkDependencySpec(project, tarball), 'file:../kong-ts-pdk-9.9.9.tgz');
    assert.equal(pdkDependencySpec(project, repoRoot), `file:${path.relative(project, repoRoot)}`);
    assert.equal(pdkDependencySpec(project, '^0.1.0'), '^0.1.0');
    assert.equal(pdkDependencySpec(project, '0.2.0'), '0.2.0');
    assert.equal(pdkDependencySpec(project, 'latest'), 'latest');
    assert.throws(
      () => pdkDependencySpec(project, path.join(tmp, 'nope')),
      /no such file or directory, and not a version/,
    );
    assert.throws(() => pdkDependencySpec(project, tmp), /has no package\.json/);
    const c = capture();
    assert.equal(await runNew(['with-tgz', '--dir', project, '--pdk', tarball], c.io), 0);
    const pkg = JSON.parse(fs.readFileSync(path.join(project, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    assert.equal(pkg.dependencies['kong-ts-pdk'], 'file:../kong-ts-pdk-9.9.9.tgz');
    assert.equal(await runNew(['bad', '--dir', path.join(tmp, 'bad'), '--pdk', 'no/such/thing'], c.io), 2);
    assert.match(c.err(), /--pdk no\/such\/thing: no such file/);
    assert.equal(fs.existsSync(path.join(tmp, 'bad')), false, 'nothing written');
  });

  test('the generated test imports kong-ts-pdk/testing by default', () => {
    const dir = path.join(tmp, 'default-kit');
    scaffoldPlugin('probe', dir);
    const src = fs.readFileSync(path.join(dir, 'probe.test.ts'), 'utf8');
    assert.match(src, /import \{ loadPlugin \} from "kong-ts-pdk\/testing";/);
    assert.match(
      fs.readFileSync(path.join(dir, 'package.json'), 'utf8'),
      /"test": "node --require kong-ts-pdk\/testing\/register --test probe\.test\.ts"/,
    );
  });

  test('with the package installed, the default specifier resolves and the test passes', (t) => {
    const exportsMap =
      (
        JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
          exports?: Record<string, unknown>;
        }
      ).exports ?? {};
    if (!('./testing' in exportsMap && './testing/register' in exportsMap)) {
      t.skip('package.json does not export ./testing and ./testing/register yet');
      return;
    }
    const dir = path.join(tmp, 'installed');
    scaffoldPlugin('installed', dir);
    fs.mkdirSync(path.join(dir, 'node_modules'));
    fs.symlinkSync(repoRoot, path.join(dir, 'node_modules', 'kong-ts-pdk'), 'dir');
    const r = runNodeTest('installed.test.ts', 'kong-ts-pdk/testing/register', dir);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /# pass 2/);
  });
});
