/**
 * `kong-ts-pdk`: the authoring and maintenance commands. Each subcommand loads its own
 * modules, so none of them weighs on the server's start-up (ts-morph and handlebars are only
 * loaded by the commands that need them).
 *
 *   kong-ts-pdk launcher <name> -d <dir> [--out /usr/local/bin/<name>] [-p <prefix>]
 *   kong-ts-pdk new <name> [--dir <dir>] [--pdk <path|tarball|version>]
 *   kong-ts-pdk schema <plugin file> [--kong-only|--json-schema-only] [--write]
 *   kong-ts-pdk extract --kong <kong source tree> [--kong …] [--out idl/pdk.yaml]
 *   kong-ts-pdk pdk-diff <old pdk.yaml> <new pdk.yaml>
 *   kong-ts-pdk --help | --version
 *
 * Help goes to stdout with exit status 0; usage errors go to stderr with status 2.
 */
import * as path from 'node:path';
import { errorText } from '../log.js';
import { parseFlags, usage, UsageError, type FlagSpec } from './args.js';
import { launcherProblem, writeLauncher } from './launcher.js';
import { VERSION } from './version.js';

const LAUNCHER_FLAGS: readonly FlagSpec[] = [
  { names: ['d', 'plugins-directory'], key: 'dir', value: true, arg: '<dir>', help: 'the plugins directory' },
  {
    names: ['out', 'o'],
    key: 'out',
    value: true,
    arg: '<file>',
    help: 'where to write the launcher (default /usr/local/bin/<name>)',
  },
  {
    names: ['p', 'kong-prefix'],
    key: 'prefix',
    value: true,
    arg: '<prefix>',
    help: 'socket directory (default /usr/local/kong, as Kong 3.9)',
  },
  { names: ['h', 'help'], key: 'help', help: 'print this help' },
];

const COMMANDS = `Usage: kong-ts-pdk <command> [arguments]

Commands:
  launcher <name> -d <dir>   write /usr/local/bin/<name> for Kong 3.9+'s one-plugin-per-server defaults
  new <name> [--dir <dir>]   write a new TypeScript plugin, its test (with the test kit) and a README
  schema <plugin.ts>         derive Kong's schema and a JSON Schema from the plugin's config type
  extract --kong <tree>      extract the PDK part of the IDL (idl/pdk.yaml) from Kong's sources
  pdk-diff <old> <new>       print what changed between two extracted PDK IDLs, as Markdown

Options:
  -h, --help                 print this help
  --version                  print the version of kong-ts-pdk

Run 'kong-ts-pdk <command> --help' for a command's flags.
`;

async function launcher(argv: readonly string[]): Promise<number> {
  const { flags, positional } = parseFlags(argv, LAUNCHER_FLAGS);
  if (flags.help) {
    process.stdout.write(
      usage(
        'kong-ts-pdk launcher <name> -d <dir> [flags]',
        'Write a per-plugin executable for Kong 3.9+ (after checking that the server can dump the plugin).',
        LAUNCHER_FLAGS,
      ),
    );
    return 0;
  }
  const name = positional[0];
  if (!name || positional.length > 1) throw new UsageError('launcher takes exactly one plugin name');
  if (typeof flags.dir !== 'string') throw new UsageError('-d/--plugins-directory is required');
  // A launcher Kong cannot start or query fails only at Kong's next start: refuse it now.
  const problem = await launcherProblem(flags.dir, name);
  if (problem) {
    process.stderr.write(`kong-ts-pdk launcher: ${problem}; no launcher written\n`);
    return 1;
  }
  const target = typeof flags.out === 'string' ? flags.out : path.join('/usr/local/bin', name);
  writeLauncher(target, {
    name,
    pluginsDir: flags.dir,
    ...(typeof flags.prefix === 'string' ? { prefix: flags.prefix } : {}),
  });
  process.stderr.write(`wrote ${target}\n`);
  return 0;
}

type Runner = (argv: string[]) => Promise<number>;

function lazy(modulePath: string, fn: string): Runner {
  return async (argv) => {
    const mod = (await import(modulePath)) as Record<string, Runner>;
    return mod[fn]!(argv);
  };
}

const SUBCOMMANDS: Record<string, Runner> = {
  launcher,
  new: lazy('../authoring/scaffold.js', 'runNew'),
  schema: lazy('../authoring/schema-command.js', 'runSchema'),
  extract: lazy('../../codegen/extract/cli.js', 'runExtract'),
  'pdk-diff': lazy('../../codegen/extract/cli.js', 'runPdkDiff'),
};

/** Runs `kong-ts-pdk`; resolves with the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(COMMANDS);
    return 0;
  }
  if (command === '--version' || command === '-V') {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const run =
    command !== undefined && Object.prototype.hasOwnProperty.call(SUBCOMMANDS, command)
      ? SUBCOMMANDS[command]
      : undefined;
  if (!run) {
    process.stderr.write((command ? `kong-ts-pdk: unknown command ${command}\n\n` : '') + COMMANDS);
    return 2;
  }
  try {
    return await run(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`kong-ts-pdk ${command}: ${e.message}\n`);
      return 2;
    }
    process.stderr.write(`kong-ts-pdk ${command}: ${errorText(e)}\n`);
    return 1;
  }
}
