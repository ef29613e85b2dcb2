/**
 * The package as published: `npm pack`, then `npm install <tarball> --omit=dev` (offline) into an
 * empty project, and every advertised command run from there — the server (dumps and a served
 * event), `launcher`, `new` (and the scaffold's own test), `schema`, `extract`, `pdk-diff`,
 * `--help`. The tarball ships what those commands run and nothing of the generator beyond them.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { tempDir } from '../helpers/cli.js';
import { KongConnection, startInstance } from '../helpers/kong-client.js';
import { fixture, repoRoot } from '../helpers/paths.js';
import { cleanEnv, installTarball, packRepo, run } from './helpers.js';

let root: string;
let files: string[];
let pkg: string;
let project: string;
let plugins: string;
let env: NodeJS.ProcessEnv;

before(() => {
  root = tempDir('kts-package-');
  const packed = packRepo(root);
  files = packed.files;
  project = path.join(root, 'project');
  pkg = installTarball(project, packed.tarball);
  plugins = path.join(project, 'plugins');
  fs.mkdirSync(plugins);
  fs.copyFileSync(fixture('cli-plugins', 'js-plugin.js'), path.join(plugins, 'js-plugin.js'));
  fs.copyFileSync(fixture('schema', 'plugins', 'ts-derived.ts'), path.join(plugins, 'ts-derived.ts'));
  env = cleanEnv({ KONG_TS_PDK_SCHEMA_CACHE: path.join(root, 'schema-cache') });
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

/** Runs an installed bin (node_modules/.bin/<name>) in the project. */
function bin(name: string, args: readonly string[], allowFailure = false) {
  return run(path.join(project, 'node_modules', '.bin', name), args, { cwd: project, env, allowFailure });
}

describe('the tarball', () => {
  test('ships the bins, the compiled runtime, the extractor, LICENSE, CHANGELOG.md and README.md', () => {
    for (const f of [
      'package.json',
      'README.md',
      'LICENSE',
      'CHANGELOG.md',
      'bin/kong-ts-pdk',
      'bin/kong-ts-pluginserver',
      'dist/src/index.js',
      'dist/src/index.d.ts',
      'dist/src/testing/index.d.ts',
      'dist/src/testing/register.js',
      'dist/src/authoring/schema-derivation-process.js',
      'dist/codegen/extract/cli.js',
      'dist/generated/pdk-index.json',
    ])
      assert.ok(files.includes(f), `${f} is missing`);
    assert.match(fs.readFileSync(path.join(pkg, 'LICENSE'), 'utf8'), /^\s*Apache License\s+Version 2\.0, January 2004/);
  });

  test('ships no source maps, no tests, no benchmark, no TypeScript sources and no generator beyond the extractor', () => {
    const unwanted = files.filter(
      (f) =>
        f.endsWith('.map') ||
        /^(src|test|bench|codegen|examples)\//.test(f) ||
        /^dist\/(test|bench)\//.test(f) ||
        (f.startsWith('dist/codegen/') && !/^dist\/codegen\/extract\/[\w-]+\.js$/.test(f)) ||
        (f.endsWith('.ts') && !f.endsWith('.d.ts')),
    );
    assert.deepEqual(unwanted, []);
  });

  test('every compiled file it ships comes from a source in the tree (no stale build output)', () => {
    const orphans = files
      .filter((f) => /^dist\/.*\.js$/.test(f))
      .filter((f) => !fs.existsSync(path.join(repoRoot, f.slice('dist/'.length).replace(/\.js$/, '.ts'))));
    assert.deepEqual(orphans, [], 'compiled files whose source is gone would ship: remove dist/ and build again');
  });

  test('package.json names the repository, the license and only run-time dependencies', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(pkg, 'package.json'), 'utf8')) as {
      license: string;
      repository?: { url?: string };
      dependencies: Record<string, string>;
    };
    assert.equal(manifest.license, 'Apache-2.0');
    assert.match(manifest.repository?.url ?? '', /^git\+https:\/\/.+\.git$/);
    assert.deepEqual(Object.keys(manifest.dependencies).sort(), [
      '@msgpack/msgpack',
      'ajv',
      'esbuild',
      'prom-client',
      'ts-morph',
      'yaml',
    ]);
    for (const dev of ['handlebars', 'typescript', 'eslint', 'madge'])
      assert.equal(fs.existsSync(path.join(project, 'node_modules', dev)), false, `${dev} was installed`);
  });
});

describe('installed with --omit=dev', () => {
  test('kong-ts-pdk --help and --version; kong-ts-pluginserver --version', () => {
    const help = bin('kong-ts-pdk', ['--help']);
    assert.match(help.stdout, /^Usage: kong-ts-pdk <command>/);
    const version = (JSON.parse(fs.readFileSync(path.join(pkg, 'package.json'), 'utf8')) as { version: string })
      .version;
    assert.equal(bin('kong-ts-pdk', ['--version']).stdout, `${version}\n`);
    assert.equal(bin('kong-ts-pluginserver', ['--version']).stdout, `${version}\n`);
    const serverHelp = bin('kong-ts-pluginserver', ['--help'], true);
    assert.match(serverHelp.stdout + serverHelp.stderr, /--plugins-directory/);
  });

  test('the server dumps a JS plugin and a schema-less TS plugin (schema derived by the installed ts-morph)', () => {
    const all = JSON.parse(bin('kong-ts-pluginserver', ['-d', plugins, '--dump-all-plugins']).stdout) as {
      Name: string;
      Schema: { fields: { config: { fields: unknown[] } }[] };
    }[];
    assert.deepEqual(
      all.map((i) => i.Name),
      ['js-plugin', 'ts-derived'],
    );
    assert.deepEqual(all[1]!.Schema.fields[0]!.config.fields[0], {
      header: { type: 'string', required: true, default: 'x-derived' },
    });
    const one = JSON.parse(bin('kong-ts-pluginserver', ['-d', plugins, '--plugin', 'ts-derived', '-dump']).stdout) as {
      Protocol: string;
      Plugins: { Name: string }[];
    };
    assert.equal(one.Protocol, 'MsgPack:1');
    assert.deepEqual(
      one.Plugins.map((p) => p.Name),
      ['ts-derived'],
    );
  });

  test('the server serves an event of the TS plugin', async () => {
    const sock = path.join(root, 'js_pluginserver.sock');
    const child = spawn(
      path.join(project, 'node_modules', '.bin', 'kong-ts-pluginserver'),
      ['-d', plugins, '-p', root],
      {
        env,
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await waitForSocket(
        sock,
        () => child.exitCode,
        () => stderr,
      );
      const c = await KongConnection.open(sock);
      const id = await startInstance(c, 'ts-derived', {});
      const r = await c.call('HandleEvent', { InstanceId: id, EventName: 'access' });
      assert.deepEqual(r.Data.Args, ['x-config', JSON.stringify({ header: 'x-derived', attempts: 3 })]);
      assert.equal((await c.call('Step', { EventId: r.EventId })).Data, 'ret');
      c.close();
      child.kill('SIGTERM');
      assert.equal(await exited, 0, stderr);
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('launcher writes an executable that dumps the plugin', () => {
    const launcher = path.join(root, 'ts-derived');
    bin('kong-ts-pdk', ['launcher', 'ts-derived', '-d', plugins, '--out', launcher, '-p', root]);
    const dump = run(launcher, ['-dump'], { cwd: root, env });
    assert.deepEqual(
      (JSON.parse(dump.stdout) as { Plugins: { Name: string }[] }).Plugins.map((p) => p.Name),
      ['ts-derived'],
    );
    assert.match(fs.readFileSync(launcher, 'utf8'), /node_modules\/kong-ts-pdk\/bin\/kong-ts-pluginserver/);
  });

  test('new writes a plugin whose own test passes with the installed kit; schema prints its schemas', () => {
    const dir = path.join(project, 'scaffolded');
    const r = bin('kong-ts-pdk', ['new', 'hello', '--dir', dir, '--no-project']);
    assert.match(r.stdout, /wrote .*hello\.ts/);
    const t = run(
      process.execPath,
      ['--require', 'kong-ts-pdk/testing/register', '--test', '--test-reporter=tap', 'hello.test.ts'],
      { cwd: dir, env },
    );
    assert.match(t.stdout, /# pass 2/);
    const schema = JSON.parse(bin('kong-ts-pdk', ['schema', path.join(dir, 'hello.ts')]).stdout) as {
      kong: { name: string };
      jsonSchema: { title: string };
    };
    assert.equal(schema.kong.name, 'hello');
    assert.equal(schema.jsonSchema.title, 'HelloConfig');
  });

  test('extract reads a Kong tree and pdk-diff compares the result with the shipped idl/pdk.yaml', () => {
    const out = path.join(root, 'pdk.yaml');
    bin('kong-ts-pdk', [
      'extract',
      '--kong',
      `${fixture('kong-lua', 'new')}=main`,
      '--rules',
      fixture('kong-lua', 'extract-rules.yaml'),
      '--out',
      out,
    ]);
    assert.match(fs.readFileSync(out, 'utf8'), /kong\.request\.get_raw_body/);
    const diff = bin('kong-ts-pdk', ['pdk-diff', path.join(pkg, 'idl', 'pdk.yaml'), out]);
    assert.match(diff.stdout, /^#/m);
  });

  test("kong-ts-pdk/testing's types resolve under moduleResolution node10 (typesVersions)", () => {
    const file = path.join(project, 'uses-kit.ts');
    fs.writeFileSync(
      file,
      "import { loadPlugin } from 'kong-ts-pdk/testing';\nimport type { Kong } from 'kong-ts-pdk';\nexport const load: typeof loadPlugin = loadPlugin;\nexport type K = Kong;\n",
    );
    const config = path.join(project, 'tsconfig.node10.json');
    const compilerOptions = {
      module: 'commonjs',
      moduleResolution: 'node10',
      target: 'ES2022',
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: [],
    };
    fs.writeFileSync(config, JSON.stringify({ compilerOptions, files: ['uses-kit.ts'] }));
    const tsc = path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
    const node10 = run(process.execPath, [tsc, '-p', config], { cwd: project, env, allowFailure: true });
    assert.equal(node10.status, 0, node10.stdout);
  });
});

async function waitForSocket(sock: string, exitCode: () => number | null, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 30000;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(sock, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    assert.equal(exitCode(), null, `server exited: ${stderr()}`);
    assert.ok(Date.now() < deadline, `server did not listen on ${sock}: ${stderr()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
