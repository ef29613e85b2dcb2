/**
 * What a function does in the log phase's timer is an IDL fact (rpc.yaml `log_timer` with
 * pdk.yaml's `log_phase_saved`), exposed to simulators through PDK_FUNCTIONS and
 * generated/pdk-index.json.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { LOG_TIMER_NGX_CTX_SINCE, PDK_FUNCTIONS } from '../../generated/index.js';
import { repoRoot } from '../helpers/paths.js';

interface IndexEntry {
  name: string;
  exposed: boolean;
  plugin_phases: string[] | null;
  log_timer: { kind: string; saved_since: string | null; before: string | null } | null;
}
const index = JSON.parse(fs.readFileSync(path.join(repoRoot, 'generated', 'pdk-index.json'), 'utf8')) as {
  log_timer_ngx_ctx_since: string | null;
  functions: IndexEntry[];
};

test('every log_timer entry of rpc.yaml names a function or module of pdk.yaml', () => {
  const rpc = parse(fs.readFileSync(path.join(repoRoot, 'idl', 'rpc.yaml'), 'utf8')) as {
    log_timer: { ngx_ctx: string[]; raises: string[] };
  };
  const names = index.functions.map((f) => f.name);
  for (const entry of [...rpc.log_timer.ngx_ctx, ...rpc.log_timer.raises]) {
    assert.ok(
      names.some((n) => n === entry || n.startsWith(`${entry}.`)),
      `${entry} names nothing in idl/pdk.yaml`,
    );
  }
});

test('the index tells a simulator how each log-phase function behaves in the timer', () => {
  const kind = (name: string) => index.functions.find((f) => f.name === name)?.log_timer;
  assert.deepEqual(kind('kong.request.get_header'), { kind: 'saved', saved_since: null, before: null });
  // Not answered from saved data: it reads ngx.ctx, which the timer sees from 3.0.0.
  assert.deepEqual(kind('kong.request.get_start_time'), { kind: 'ngx_ctx', saved_since: null, before: null });
  assert.equal(index.log_timer_ngx_ctx_since, '3.0.0');
  // The plugin-server layer saves the start time only from a later release; before, nginx's API raises.
  assert.deepEqual(kind('kong.nginx.req_start_time'), { kind: 'saved', saved_since: '3.4.0', before: 'raises' });
  assert.equal(kind('kong.request.get_scheme')?.kind, 'raises');
  assert.equal(kind('kong.service.response.get_status')?.kind, 'raises');
  assert.equal(kind('kong.client.get_consumer')?.kind, 'ngx_ctx');
  assert.equal(kind('kong.log.err')?.kind, 'works');
  assert.equal(kind('kong.response.exit'), null, 'not callable in the log phase');
});

test('PDK_FUNCTIONS carries the same log-timer behaviour as the index, for every log-phase function', () => {
  assert.equal(LOG_TIMER_NGX_CTX_SINCE, index.log_timer_ngx_ctx_since);
  for (const f of index.functions.filter((x) => x.exposed)) {
    const info = PDK_FUNCTIONS.get(f.name);
    assert.ok(info, f.name);
    const inLog = f.plugin_phases === null || f.plugin_phases.includes('log');
    assert.equal(f.log_timer !== null, inLog, f.name);
    assert.deepEqual(
      info.logTimer,
      f.log_timer
        ? {
            kind: f.log_timer.kind,
            ...(f.log_timer.saved_since ? { savedSince: f.log_timer.saved_since } : {}),
            ...(f.log_timer.before ? { before: f.log_timer.before } : {}),
          }
        : undefined,
      f.name,
    );
  }
});
