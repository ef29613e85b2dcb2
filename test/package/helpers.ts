/** Packs this checkout as npm would publish it and installs the tarball into scratch projects. */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '../helpers/paths.js';

/** The environment for npm and the installed commands: the parent's, minus what `npm test` sets for its scripts. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('npm_') || k === 'NODE_TEST_CONTEXT' || k === 'INIT_CWD') continue;
    env[k] = v;
  }
  return { ...env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false', ...extra };
}

/** Runs a command; throws with its output when it fails. */
export function run(
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; allowFailure?: boolean },
): SpawnSyncReturns<string> {
  const r = spawnSync(command, args, {
    cwd: options.cwd,
    env: options.env ?? cleanEnv(),
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 60000,
  });
  if (!options.allowFailure && r.status !== 0)
    throw new Error(`${command} ${args.join(' ')} exited ${r.status ?? r.signal}:\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** `npm pack` of the checkout (already built: dist/ comes from the test run's tsc) into `dest`. */
export function packRepo(dest: string): { tarball: string; files: string[] } {
  const r = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dest], { cwd: repoRoot });
  const [info] = JSON.parse(r.stdout) as { filename: string; files: { path: string }[] }[];
  return { tarball: path.join(dest, info!.filename), files: info!.files.map((f) => f.path).sort() };
}

/** An empty project in `dir` with the tarball installed as a production install would (`--omit=dev`); the npm cache first (`--prefer-offline`). */
export function installTarball(dir: string, tarball: string): string {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'probe', version: '1.0.0', private: true }));
  run('npm', ['install', '--omit=dev', '--prefer-offline', '--no-package-lock', tarball], {
    cwd: dir,
    timeoutMs: 120000,
  });
  return path.join(dir, 'node_modules', 'kong-ts-pdk');
}
