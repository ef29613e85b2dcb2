/**
 * A malformed IDL fails with one line naming the file, the line, the path and the reason —
 * never a stack trace. Each case mutates a copy of the fixture IDL.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { IdlError } from '../../codegen/idl/errors.js';
import { loadIdl } from '../../codegen/idl/load.js';
import { fixture, repoRoot } from '../helpers/paths.js';

function copyFixture(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idl-'));
  for (const f of fs.readdirSync(fixture('idl-small'))) fs.copyFileSync(fixture('idl-small', f), path.join(dir, f));
  return dir;
}

function mutate(file: string, from: string | RegExp, to: string): string {
  const dir = copyFixture();
  const p = path.join(dir, file);
  const before = fs.readFileSync(p, 'utf8');
  const after = before.replace(from, to);
  assert.notEqual(after, before, `mutation of ${file} did not apply`);
  fs.writeFileSync(p, after);
  return dir;
}

const cases: { name: string; file: string; from: string | RegExp; to: string; want: RegExp }[] = [
  {
    name: 'unknown key',
    file: 'pdk.yaml',
    from: '    never_returns: true',
    to: '    never_return: true',
    want: /^idl\/pdk\.yaml:\d+:\d+: functions\[3\]: unknown key 'never_return'$/,
  },
  {
    name: 'type syntax',
    file: 'pdk.yaml',
    from: '{name: name, type: string}',
    to: '{name: name, type: "string |"}',
    want: /^idl\/pdk\.yaml:\d+:\d+: functions\[0\]\.params\[0\]\.type: type 'string \|': expected a type at end of input/,
  },
  {
    name: 'unknown type',
    file: 'entities.yaml',
    from: '{name: x, type: integer}',
    to: '{name: x, type: Integr}',
    want: /^idl\/entities\.yaml:\d+:\d+: types\[0\]\.fields\[0\]\.type: unknown type 'Integr'$/,
  },
  {
    name: 'override of a missing function',
    file: 'pdk-overrides.yaml',
    from: 'function: kong.request.get_headers',
    to: 'function: kong.request.get_hedaers',
    want: /^idl\/pdk-overrides\.yaml:\d+:\d+: overrides\[0\]\.function: no function 'kong\.request\.get_hedaers' in pdk\.yaml$/,
  },
  {
    name: 'override of a missing parameter',
    file: 'pdk-overrides.yaml',
    from: 'headers: {type: "map<string, string>"}',
    to: 'headerz: {type: "map<string, string>"}',
    want: /overrides\[1\]\.params\.headerz: function kong\.response\.exit has no parameter 'headerz'$/,
  },
  {
    name: 'bad enum',
    file: 'pdk.yaml',
    from: 'result_fix: raw_bytes',
    to: 'result_fix: rawbytes',
    want: /functions\[2\]\.msgpack\.result_fix: must be one of \["multimap","raw_bytes"\]$/,
  },
  {
    name: 'duplicate function',
    file: 'pdk.yaml',
    from: 'name: kong.request.get_headers',
    to: 'name: kong.request.get_header',
    want: /functions\[1\]\.name: function 'kong\.request\.get_header' is declared twice$/,
  },
  {
    name: 'non-contract error saying no plugin instance',
    file: 'rpc.yaml',
    from: 'text: "unknown method {method}"',
    to: 'text: "no plugin instance for {method}"',
    want: /errors\[1\]\.text: only the contract error may contain "no plugin instance"/,
  },
  {
    name: 'YAML syntax',
    file: 'rpc.yaml',
    from: 'namespace: plugin',
    to: 'namespace: [plugin',
    want: /^idl\/rpc\.yaml:\d+:\d+: \(root\): YAML: /,
  },
  {
    name: 'wrong format tag',
    file: 'entities.yaml',
    from: 'format: kong-ts-pdk/entities/1',
    to: 'format: kong-ts-pdk/entities/2',
    want: /^idl\/entities\.yaml:1:\d+: format: must be "kong-ts-pdk\/entities\/1"$/,
  },
];

for (const c of cases) {
  test(`a bad IDL (${c.name}) is reported as one line with file, line and path`, () => {
    const dir = mutate(c.file, c.from, c.to);
    assert.throws(
      () => loadIdl(dir, 'idl'),
      (e: unknown) => {
        assert.ok(e instanceof IdlError, String(e));
        assert.doesNotMatch(e.message, /\n/);
        assert.match(e.message, c.want);
        return true;
      },
    );
  });
}

test('npm run codegen on a bad IDL prints one error line and exits 1, without a stack trace', () => {
  const dir = mutate('pdk.yaml', '    never_returns: true', '    never_return: true');
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'out-'));
  const r = spawnSync(
    process.execPath,
    [path.join(repoRoot, 'dist', 'codegen', 'cli.js'), '--idl', dir, '--out', out],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 1);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /^error: .*pdk\.yaml:\d+:\d+: functions\[3\]: unknown key 'never_return'$/);
  assert.deepEqual(fs.readdirSync(out), []);
});
