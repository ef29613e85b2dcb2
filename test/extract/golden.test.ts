/**
 * Golden outputs for the fixture trees: the pdk.yaml of the main fixture, the merge of all
 * three, and the pdk-diff from the oldest to main. `UPDATE_GOLDEN=1` rewrites them (review the diff).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { mergeTrees } from '../../codegen/extract/merge.js';
import { pdkDiff } from '../../codegen/extract/pdk-diff.js';
import { writePdkYaml } from '../../codegen/extract/yaml-writer.js';
import { extractFixture, golden, mergedFixtures } from './helpers.js';

function check(name: string, text: string): void {
  if (process.env['UPDATE_GOLDEN'] === '1') fs.writeFileSync(golden(name), text);
  assert.equal(
    text,
    fs.readFileSync(golden(name), 'utf8'),
    `${name} differs from its golden file (UPDATE_GOLDEN=1 to accept)`,
  );
}

test('the main fixture extracts to its golden pdk.yaml', () => {
  check('new.yaml', writePdkYaml(mergeTrees([extractFixture('new')]).file));
});

test('the three fixture trees merge to their golden pdk.yaml (removed functions kept with until)', () => {
  check('merged.yaml', writePdkYaml(mergedFixtures(true).merged.file));
});

test('pdk-diff from the 2.8-like fixture to main matches its golden Markdown', () => {
  const old = mergeTrees([extractFixture('old')]).file;
  const main = mergeTrees([extractFixture('new')]).file;
  check('old-to-new.md', pdkDiff(old, main));
});
