/**
 * `kong-ts-pdk new <name> [--dir <dir>]`: a new TypeScript plugin with a test that runs it
 * under the test kit, and a README with the commands to test, dump and serve it.
 *
 * Written files: `<name>.ts` (the plugin: a config interface, `class … implements
 * KongPlugin<Config>`, a `PluginModule<Config>` export with Version, Priority and Schema),
 * `<name>.test.ts` (node:test, through `kong-ts-pdk/testing`), `README.md` (`<name>.README.md`
 * when the directory already has another plugin's), and — when the
 * directory has none — `package.json` and `tsconfig.json`. The plugin server ignores the test
 * file (`*.test.ts`) and the non-plugin files when it loads the directory.
 *
 * package.json puts kong-ts-pdk in `dependencies` (a production install, `npm ci --omit=dev`,
 * must have the server) and names it so that `npm install` works offline: by default the copy
 * of kong-ts-pdk that runs `new` (`file:<its directory>`), or what `--pdk` says (a directory or
 * tarball, written relative to the plugin's directory; or a registry version such as `^0.1.0`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseFlags, usage, UsageError, type FlagSpec } from '../cli/args.js';
import { VERSION } from '../cli/version.js';
import { errorText } from '../log.js';

/** The root of the kong-ts-pdk copy this code runs from (dist/src/authoring → the package). */
export const RUNNING_PACKAGE_ROOT = path.resolve(__dirname, '..', '..', '..');

/** Options of {@link scaffoldPlugin}. */
export interface ScaffoldOptions {
  /**
   * The module the generated test imports the kit from. Default `kong-ts-pdk/testing` (the
   * package installed in the plugin's project); an absolute path to a checkout's
   * `dist/src/testing/index.js` works without installing.
   */
  kit?: string;
  /** Replace files that exist. Default false: refuse. */
  force?: boolean;
  /** Write package.json and tsconfig.json when the directory has none. Default true. */
  project?: boolean;
  /**
   * Which kong-ts-pdk the project depends on: a directory or `.tgz` path (relative to the
   * current directory), or a registry version or range. Default: the running copy.
   */
  pdk?: string;
}

/** What {@link scaffoldPlugin} wrote. */
export interface ScaffoldResult {
  name: string;
  dir: string;
  /** Absolute paths of the files written. */
  files: string[];
  /** The plugin file. */
  pluginFile: string;
  /** The test file. */
  testFile: string;
}

const NAME = /^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$/;

/** `rate-limit_v2` → `RateLimitV2`. */
function pascal(name: string): string {
  return name
    .split(/[-_]/)
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join('');
}

/** The module to `--require` so node runs `.ts` tests: the kit's `register` next to it. */
export function registerModuleFor(kit: string): string {
  if (kit === 'kong-ts-pdk/testing') return 'kong-ts-pdk/testing/register';
  if (/[\\/]index\.js$/.test(kit)) return kit.replace(/index\.js$/, 'register.js');
  return `${kit}/register`;
}

function pluginSource(name: string): string {
  const cls = pascal(name);
  return `// ${name}: a Kong plugin in TypeScript. kong-ts-pluginserver loads this file as it is (no build
// step); the import below is for types only.
import type { Kong, KongPlugin, PluginModule } from 'kong-ts-pdk';

/** The plugin's configuration, as Kong stores it (checked against \`Schema\` below). */
export interface ${cls}Config {
  /** The request header that must be present. */
  required_header: string;
  /** The response header the plugin adds. */
  response_header: string;
  /** Its value. */
  message: string;
}

class ${cls} implements KongPlugin<${cls}Config> {
  constructor(readonly config: ${cls}Config) {}

  /** Before proxying: refuse requests without the header, tell the upstream who called. */
  async access(kong: Kong): Promise<void> {
    const value = await kong.request.getHeader(this.config.required_header);
    if (value === undefined) {
      await kong.response.exit(400, { message: \`missing header \${this.config.required_header}\` });
      return;
    }
    await kong.service.request.setHeader('x-${name}-caller', value);
    await kong.ctx.shared.set('${name}.caller', value);
  }

  /** After the upstream answered: add the configured header. */
  async response(kong: Kong): Promise<void> {
    const status = await kong.response.getStatus();
    await kong.response.setHeader(this.config.response_header, \`\${this.config.message} (upstream \${status})\`);
  }

  /** After the response was sent (Kong runs this in a timer: only saved request data is readable). */
  async log(kong: Kong): Promise<void> {
    const caller = await kong.ctx.shared.get('${name}.caller');
    await kong.log.info('${name}: request from ', String(caller ?? 'nobody'));
  }
}

const plugin: PluginModule<${cls}Config> = {
  Plugin: ${cls},
  Version: '0.1.0',
  Priority: 1000,
  Schema: [
    { required_header: { type: 'string', required: true, default: 'x-caller' } },
    { response_header: { type: 'string', required: true, default: 'x-${name}' } },
    { message: { type: 'string', required: true, default: 'hello from ${name}' } },
  ],
  // Raw bodies as Buffers on every Kong version, as the Kong type says.
  RawBodies: 'buffer',
};

module.exports = plugin;
`;
}

function testSource(name: string, kit: string): string {
  const cls = pascal(name);
  return `// Tests for ${name} with the kong-ts-pdk test kit: the plugin runs in the real plugin server,
// driven by a fake Kong that answers its PDK calls.
//   node --require ${registerModuleFor(kit)} --test ${name}.test.ts
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { loadPlugin } from ${JSON.stringify(kit)};
import type { ${cls}Config } from './${name}';

const pluginFile = path.join(__dirname, '${name}.ts');

test('a request without the required header ends with 400', async () => {
  const kit = await loadPlugin<${cls}Config>(pluginFile);
  const r = await kit.request({ url: '/hello' }).run();
  assert.equal(r.exit?.status, 400);
  assert.deepEqual(r.exit?.body, { message: 'missing header x-caller' });
  assert.deepEqual(r.skipped.map((s) => s.phase), ['response']);
  await kit.close();
});

test('a request with it reaches the upstream, gets the header back and is logged', async () => {
  const kit = await loadPlugin<${cls}Config>(pluginFile, { config: { message: 'hi' } });
  const r = await kit.request({ url: '/hello', headers: { 'x-caller': 'alice' }, upstream: { status: 201 } }).run();
  assert.equal(r.exit, undefined);
  assert.equal(r.serviceRequest.header('x-${name}-caller'), 'alice');
  assert.equal(r.response.status, 201);
  assert.equal(r.response.header('x-${name}'), 'hi (upstream 201)');
  assert.deepEqual(r.logMessages('info'), ['${name}: request from alice']);
  await kit.close();
});
`;
}

function readme(name: string, kit: string): string {
  const reg = registerModuleFor(kit);
  return `# ${name}

A Kong external plugin in TypeScript, served by \`kong-ts-pluginserver\` (package \`kong-ts-pdk\`).

| file | what |
| --- | --- |
| \`${name}.ts\` | the plugin: \`${pascal(name)}Config\`, the class, and its \`Version\`/\`Priority\`/\`Schema\` |
| \`${name}.test.ts\` | its tests, with the kit \`kong-ts-pdk/testing\` (a fake Kong driving the real plugin server) |

## Test

\`\`\`sh
npm install                      # kong-ts-pdk, typescript, @types/node (see package.json)
node --require ${reg} --test ${name}.test.ts
npx tsc --noEmit -p .            # type-check (the test run strips types without checking them)
\`\`\`

## Dump it (what Kong reads when it starts)

\`\`\`sh
npx kong-ts-pluginserver -d . --plugin ${name} -dump
\`\`\`

It prints \`{"Protocol":"MsgPack:1","Plugins":[{"Name":"${name}",…}]}\`. A plugin Kong would refuse
(bad Version or Priority, a schema Kong rejects) is left out and the reason printed on stderr.

## Serve it

Kong 3.9 and later (one plugin per server):

\`\`\`sh
kong-ts-pluginserver -d /path/to/this/dir --plugin ${name} -p /usr/local/kong   # socket /usr/local/kong/${name}.socket
\`\`\`

\`\`\`
# kong.conf
plugins = bundled,${name}
pluginserver_names = ${name}
pluginserver_${name.replace(/-/g, '_')}_socket = /usr/local/kong/${name}.socket
pluginserver_${name.replace(/-/g, '_')}_start_cmd = /usr/local/bin/kong-ts-pluginserver -d /path/to/this/dir --plugin ${name} -p /usr/local/kong
pluginserver_${name.replace(/-/g, '_')}_query_cmd = /usr/local/bin/kong-ts-pluginserver -d /path/to/this/dir --plugin ${name} -dump
\`\`\`

(Use absolute paths: Kong runs these commands with nginx's minimal environment.) Or let
\`kong-ts-pdk launcher ${name} -d /path/to/this/dir\` write \`/usr/local/bin/${name}\`, which Kong
3.9+ starts and queries by default, so that \`pluginserver_names = ${name}\` is all kong.conf needs.

Kong 2.3 – 3.8 can also run one server for a directory of plugins:
\`kong-ts-pluginserver -d <dir> -p /usr/local/kong\` (socket \`js_pluginserver.sock\`), queried with
\`kong-ts-pluginserver -d <dir> --dump-all-plugins\`.
`;
}

// A registry version, range or dist-tag (`0.1.0`, `^0.1.0`, `>=0.1 <1`, `latest`).
const REGISTRY_SPEC = /^(?:[~^]|[<>]=?|=)?\s*v?\d+(?:\.(?:\d+|x|\*)){0,2}(?:[-+][\w.]+)?(?:\s+\S+)*$|^(?:latest|next)$/;

/**
 * The `kong-ts-pdk` dependency spec for a project in `projectDir`: `file:` for a directory or
 * tarball (the running copy by default), the spec itself for a registry version.
 */
export function pdkDependencySpec(projectDir: string, pdk?: string): string {
  if (pdk === undefined) return `file:${RUNNING_PACKAGE_ROOT}`;
  const local = path.resolve(pdk);
  if (fs.existsSync(local)) {
    const isDir = fs.statSync(local).isDirectory();
    if (isDir && !fs.existsSync(path.join(local, 'package.json')))
      throw new UsageError(`--pdk ${pdk}: ${local} has no package.json (give the kong-ts-pdk directory or its .tgz)`);
    if (!isDir && !/\.t(ar\.)?gz$/.test(local)) throw new UsageError(`--pdk ${pdk}: not a directory or a .tgz tarball`);
    const rel = path.relative(path.resolve(projectDir), local) || '.';
    return `file:${rel.startsWith('.') ? rel : `./${rel}`}`;
  }
  if (REGISTRY_SPEC.test(pdk)) return pdk;
  throw new UsageError(`--pdk ${pdk}: no such file or directory, and not a version (e.g. ^${VERSION})`);
}

function packageJson(name: string, kit: string, pdkSpec: string): string {
  const pkg = {
    name: `kong-plugin-${name}`,
    version: '0.1.0',
    private: true,
    description: `Kong external plugin ${name}, served by kong-ts-pluginserver`,
    scripts: {
      test: `node --require ${registerModuleFor(kit)} --test ${name}.test.ts`,
      typecheck: 'tsc --noEmit -p .',
      dump: `kong-ts-pluginserver -d . --plugin ${name} -dump`,
    },
    dependencies: { 'kong-ts-pdk': pdkSpec },
    devDependencies: { typescript: '^5.9.3', '@types/node': '^20.19.0' },
  };
  return `${JSON.stringify(pkg, null, 2)}\n`;
}

const TSCONFIG = `${JSON.stringify(
  {
    compilerOptions: {
      target: 'ES2022',
      lib: ['ES2022'],
      module: 'nodenext',
      moduleResolution: 'nodenext',
      types: ['node'],
      strict: true,
      noEmit: true,
      skipLibCheck: true,
    },
    include: ['*.ts'],
  },
  null,
  2,
)}\n`;

/**
 * Writes a new plugin named `name` into `targetDir` (created if needed). Throws when the name
 * is not a valid Kong plugin name or a file exists (unless `force`).
 */
export function scaffoldPlugin(name: string, targetDir: string, options: ScaffoldOptions = {}): ScaffoldResult {
  if (!NAME.test(name)) {
    throw new UsageError(
      `plugin name "${name}" must be lower-case letters and digits, words joined by - or _, starting with a letter (e.g. my-plugin)`,
    );
  }
  const kit = options.kit ?? 'kong-ts-pdk/testing';
  const dir = path.resolve(targetDir);
  const pdkSpec = pdkDependencySpec(dir, options.pdk);
  // A directory can hold several plugins: README.md is the first one's, the others get <name>.README.md.
  const mainReadme = path.join(dir, 'README.md');
  const ownsReadme = !fs.existsSync(mainReadme) || fs.readFileSync(mainReadme, 'utf8').startsWith(`# ${name}\n`);
  const files = new Map<string, string>([
    [path.join(dir, `${name}.ts`), pluginSource(name)],
    [path.join(dir, `${name}.test.ts`), testSource(name, kit)],
    [ownsReadme ? mainReadme : path.join(dir, `${name}.README.md`), readme(name, kit)],
  ]);
  if (options.project ?? true) {
    if (!fs.existsSync(path.join(dir, 'package.json')))
      files.set(path.join(dir, 'package.json'), packageJson(name, kit, pdkSpec));
    if (!fs.existsSync(path.join(dir, 'tsconfig.json'))) files.set(path.join(dir, 'tsconfig.json'), TSCONFIG);
  }
  if (!options.force) {
    const existing = [...files.keys()].filter((f) => fs.existsSync(f));
    if (existing.length) throw new Error(`refusing to overwrite ${existing.join(', ')} (use --force)`);
  }
  fs.mkdirSync(dir, { recursive: true });
  for (const [file, text] of files) fs.writeFileSync(file, text);
  return {
    name,
    dir,
    files: [...files.keys()],
    pluginFile: path.join(dir, `${name}.ts`),
    testFile: path.join(dir, `${name}.test.ts`),
  };
}

const FLAGS: readonly FlagSpec[] = [
  { names: ['dir', 'd'], key: 'dir', value: true, arg: '<dir>', help: 'where to write the plugin (default ./<name>)' },
  {
    names: ['kit'],
    key: 'kit',
    value: true,
    arg: '<module>',
    help: 'module the test imports the kit from (default kong-ts-pdk/testing)',
  },
  {
    names: ['pdk'],
    key: 'pdk',
    value: true,
    arg: '<path|tarball|version>',
    help: 'the kong-ts-pdk the project depends on (default: this copy, so npm install works offline)',
  },
  { names: ['force', 'f'], key: 'force', help: 'overwrite existing files' },
  { names: ['no-project'], key: 'noProject', help: 'do not write package.json and tsconfig.json' },
  { names: ['h', 'help'], key: 'help', help: 'print this help' },
];

/** Where {@link runNew} writes: what it did and what to run next (stdout), errors (stderr). */
export interface CommandOutput {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
}

/** Runs `kong-ts-pdk new <name> [--dir <dir>]`; resolves with the exit code (2 for a usage error). */
export async function runNew(
  argv: string[],
  io: CommandOutput = { out: process.stdout, err: process.stderr },
): Promise<number> {
  try {
    const { flags, positional } = parseFlags(argv, FLAGS);
    if (flags.help) {
      io.out.write(
        usage(
          'kong-ts-pdk new <name> [--dir <dir>] [--pdk <path|tarball|version>]',
          'Write a new TypeScript plugin, its test (with the kit) and a README.',
          FLAGS,
        ),
      );
      return 0;
    }
    const name = positional[0];
    if (!name || positional.length > 1) throw new UsageError('new takes exactly one plugin name');
    const dir = typeof flags.dir === 'string' ? flags.dir : name;
    const result = scaffoldPlugin(name, dir, {
      ...(typeof flags.kit === 'string' ? { kit: flags.kit } : {}),
      ...(typeof flags.pdk === 'string' ? { pdk: flags.pdk } : {}),
      force: flags.force === true,
      project: flags.noProject !== true,
    });
    const rel = (f: string) => path.relative(process.cwd(), f) || '.';
    io.out.write(
      `wrote ${result.files.map(rel).join(', ')}\n\n` +
        `next:\n  cd ${rel(result.dir)}\n  npm install\n  node --require ${registerModuleFor(typeof flags.kit === 'string' ? flags.kit : 'kong-ts-pdk/testing')} --test ${name}.test.ts\n` +
        `  npx kong-ts-pluginserver -d . --plugin ${name} -dump\n`,
    );
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      io.err.write(`kong-ts-pdk new: ${e.message}\n`);
      return 2;
    }
    io.err.write(`kong-ts-pdk new: ${errorText(e)}\n`);
    return 1;
  }
}
