/** Every conformance case has a test named after it, or is listed as a known gap in CONFORMANCE.md. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from './helpers/paths.js';

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'fixtures' ? [] : sources(full);
    return e.name.endsWith('.test.ts') ? [full] : [];
  });
}

test('each of the 46 conformance cases is covered by a test named after it or listed as a known gap', () => {
  const testDir = path.join(repoRoot, 'test');
  const names = sources(testDir).flatMap((f) =>
    [...fs.readFileSync(f, 'utf8').matchAll(/(?:test|describe)\(\s*['`"](case [^'`"]*)/g)].map((m) => m[1]!),
  );
  const covered = new Set<number>();
  for (const n of names) {
    const head = /^case ([\d +]+)/.exec(n)?.[1] ?? '';
    for (const num of head.split('+')) if (num.trim()) covered.add(Number(num.trim()));
  }
  const doc = fs.readFileSync(path.join(testDir, 'CONFORMANCE.md'), 'utf8');
  const gapsSection = doc.split('## Known gaps')[1] ?? '';
  const gaps = new Set([...gapsSection.matchAll(/\*\*Case (\d+)\*\*/g)].map((m) => Number(m[1])));
  const missing = Array.from({ length: 46 }, (_, i) => i + 1).filter((n) => !covered.has(n) && !gaps.has(n));
  assert.deepEqual(missing, []);
});
