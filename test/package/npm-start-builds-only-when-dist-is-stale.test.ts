/**
 * `npm start` runs bin/build-if-stale.js first: tsc runs only when a source is newer than its
 * compiled file (or has none), so a start from a fresh build listens without compiling.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from '../helpers/cli.js';
import { repoRoot } from '../helpers/paths.js';

const SCRIPT = path.join(repoRoot, 'bin', 'build-if-stale.js');

function verdict(root: string): string {
  const r = spawnSync(process.execPath, [SCRIPT, '--root', root, '--dry-run'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

function write(file: string, text: string, mtimeSeconds: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  fs.utimesSync(file, mtimeSeconds, mtimeSeconds);
}

test('fresh when every source is older than its output; stale on a newer, a new or a missing output', () => {
  const root = tempDir('kts-start-');
  try {
    const t = 1_700_000_000;
    write(path.join(root, 'tsconfig.json'), '{}', t);
    write(path.join(root, 'src', 'cli', 'pluginserver.ts'), '', t);
    write(path.join(root, 'src', 'log.ts'), '', t);
    write(path.join(root, 'generated', 'rpc.ts'), '', t);
    assert.equal(verdict(root), 'stale: dist/src/cli/pluginserver.js (missing)');
    write(path.join(root, 'dist', 'src', 'cli', 'pluginserver.js'), '', t + 10);
    write(path.join(root, 'dist', 'src', 'log.js'), '', t + 10);
    write(path.join(root, 'dist', 'generated', 'rpc.js'), '', t + 10);
    assert.equal(verdict(root), 'fresh');

    write(path.join(root, 'src', 'log.ts'), '// edited', t + 20);
    assert.equal(verdict(root), 'stale: src/log.ts');
    write(path.join(root, 'dist', 'src', 'log.js'), '', t + 30);
    assert.equal(verdict(root), 'fresh');

    write(path.join(root, 'src', 'new-module.ts'), '', t);
    assert.equal(verdict(root), 'stale: src/new-module.ts');
    write(path.join(root, 'dist', 'src', 'new-module.js'), '', t + 30);
    write(path.join(root, 'tsconfig.json'), '{"compilerOptions":{}}', t + 40);
    assert.equal(verdict(root), 'stale: tsconfig.json');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
