/** The TypeScript examples compile under the project's strict options against the package's own types. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '../helpers/paths.js';
import { typeCheck } from '../helpers/typecheck.js';

test('every examples/plugins/*.ts type-checks strictly', () => {
  const dir = path.join(repoRoot, 'examples', 'plugins');
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => path.join(dir, f));
  assert.ok(files.some((f) => f.endsWith('body-guard.ts')));
  assert.deepEqual(typeCheck(files), []);
});
