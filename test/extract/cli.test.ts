/** runExtract / runPdkDiff: arguments, output files, the report, exit codes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runExtract, runPdkDiff } from '../../codegen/extract/cli.js';
import { fixture } from '../helpers/paths.js';
import { golden, tree } from './helpers.js';

/** Runs `fn` with stderr captured. */
async function quiet<T>(fn: () => Promise<T>): Promise<{ value: T; stderr: string }> {
  const write = process.stderr.write.bind(process.stderr);
  let stderr = '';
  process.stderr.write = (chunk: string | Uint8Array) => {
    stderr += chunk.toString();
    return true;
  };
  try {
    return { value: await fn(), stderr };
  } finally {
    process.stderr.write = write;
  }
}

const rules = fixture('kong-lua', 'extract-rules.yaml');

test('extract writes pdk.yaml and a JSON report, and prints one line per defect', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'extract-cli-'));
  const out = path.join(dir, 'pdk.yaml');
  const report = path.join(dir, 'report.json');
  const { value, stderr } = await quiet(() =>
    runExtract([
      '--kong',
      tree('old'),
      '--kong',
      tree('mid'),
      '--kong',
      `${tree('new')}=main`,
      '--rules',
      rules,
      '--out',
      out,
      '--report',
      report,
      '--keep-removed',
      '--commit',
      'abc123',
    ]),
  );
  assert.equal(value, 0);
  assert.equal(
    fs.readFileSync(out, 'utf8'),
    fs.readFileSync(golden('merged.yaml'), 'utf8').replace('  tracked:', '  commit: abc123\n  tracked:'),
  );
  assert.match(
    stderr,
    /^defect: kong\/pdk\/request\.lua:57: kong\.request\.get_raw_body: malformed tag '@max_size\[opt\]' .* \[rule raw-body-malformed\] \(main\)$/m,
  );
  assert.match(
    stderr,
    /^extract: 30 functions from 2\.8\.0, 3\.0\.0, main; \d+ defects \(0 unreviewed\), 0 stale rules/m,
  );
  const json = JSON.parse(fs.readFileSync(report, 'utf8'));
  assert.deepEqual(
    json.kong.map((k: { label: string }) => k.label),
    ['2.8.0', '3.0.0', 'main'],
  );
  assert.ok(json.history.some((h: { name: string }) => h.name === 'kong.service.set_tls_cert_key'));
});

test('--strict fails on unreviewed defects; usage errors exit 2', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'extract-cli-'));
  const empty = path.join(dir, 'rules.yaml');
  fs.writeFileSync(empty, 'format: kong-ts-pdk/extract-rules/1\n');
  const strict = await quiet(() =>
    runExtract(['--kong', `${tree('new')}=main`, '--rules', empty, '--out', path.join(dir, 'p.yaml'), '--strict']),
  );
  assert.equal(strict.value, 1);
  assert.match(strict.stderr, /\[unreviewed\]/);
  assert.equal((await quiet(() => runExtract([]))).value, 2);
  assert.equal((await quiet(() => runExtract(['--kong', dir]))).value, 1, 'not a Kong tree');
  assert.equal((await quiet(() => runPdkDiff(['only-one.yaml']))).value, 2);
});

test('pdk-diff writes Markdown for two pdk.yaml files', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdk-diff-'));
  const old = path.join(dir, 'old.yaml');
  const main = path.join(dir, 'new.yaml');
  await quiet(() => runExtract(['--kong', tree('old'), '--rules', rules, '--out', old]));
  await quiet(() => runExtract(['--kong', `${tree('new')}=main`, '--rules', rules, '--out', main]));
  const out = path.join(dir, 'changes.md');
  assert.equal(await runPdkDiff([old, main, '--out', out]), 0);
  assert.equal(fs.readFileSync(out, 'utf8'), fs.readFileSync(golden('old-to-new.md'), 'utf8'));
});
