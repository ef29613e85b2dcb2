/**
 * Phases from Kong's code: a PDK function's `check_phase(…)`/`check_not_phase(…)` (against
 * `PHASES.x`, an alias of kong/pdk/private/phases.lua, a local built with
 * `phase_checker.new(…)` from them, or such a call inline) decides its phases over the
 * `@phases` doc, and every function where the two disagree is reported.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runExtract } from '../../codegen/extract/cli.js';
import { extractTree } from '../../codegen/extract/tree.js';
import { loadIdl } from '../../codegen/idl/load.js';
import { fixture, repoRoot } from '../helpers/paths.js';
import { NO_RULES } from './helpers.js';
import { RuleBook } from '../../codegen/extract/rules.js';

const root = fixture('kong-lua', 'phase-checks');
const PLUGIN_PHASES = ['certificate', 'rewrite', 'access', 'response', 'preread', 'log'];

function extract(codeDecides?: string[]) {
  const t = extractTree(root, { book: new RuleBook(NO_RULES), label: 'main', ...(codeDecides ? { codeDecides } : {}) });
  const phases = (name: string) => t.functions.find((f) => f.name === `kong.service.response.${name}`)?.phases;
  const reported = (name: string) => t.phaseDisagreements.find((d) => d.function === `kong.service.response.${name}`);
  return { t, phases, reported };
}

test('a local built from PHASES adds the phase the doc leaves out, and the disagreement is reported', () => {
  const { phases, reported } = extract(PLUGIN_PHASES);
  assert.deepEqual(phases('get_status'), ['response', 'header_filter', 'body_filter', 'log']);
  assert.deepEqual(reported('get_status'), {
    function: 'kong.service.response.get_status',
    source: 'kong/pdk/service/response.lua:38',
    doc: ['header_filter', 'body_filter', 'log'],
    check: 'check_phase(header_body_log)',
    code: ['response', 'header_filter', 'body_filter', 'log'],
    added: ['response'],
    removed: [],
  });
});

test('an alias, check_not_phase and an inline phase_checker.new are read; a refused phase leaves the list', () => {
  const { phases, reported } = extract(PLUGIN_PHASES);
  // PHASES.request (an alias of phases.lua): only the phases a plugin server runs in are taken.
  assert.deepEqual(phases('get_content_type'), ['rewrite', 'access', 'response', 'log']);
  assert.deepEqual(reported('get_content_type')?.code, [
    'rewrite',
    'access',
    'response',
    'header_filter',
    'body_filter',
    'log',
    'admin_api',
  ]);
  // check_not_phase(PHASES.init_worker): every phase but that one.
  assert.deepEqual(phases('get_address'), ['certificate', 'rewrite', 'access', 'response', 'log', 'preread']);
  assert.deepEqual(reported('get_address')?.added, ['certificate', 'response', 'preread']);
  // The doc names certificate; the inline check refuses it.
  assert.deepEqual(phases('set_retry'), ['rewrite', 'access']);
  assert.deepEqual(reported('set_retry')?.removed, ['certificate']);
  assert.equal(reported('set_retry')?.check, 'check_phase(phase_checker.new(PHASES.rewrite, PHASES.access))');
});

test('agreeing checks, an unchecked subsystem variant and an unreadable check keep the doc, unreported', () => {
  const { t, phases, reported } = extract(PLUGIN_PHASES);
  // A local built from another local (PHASES_LOG), and one built inside the constructor.
  assert.deepEqual(phases('get_header'), ['header_filter', 'body_filter', 'log']);
  assert.deepEqual(phases('get_raw_body'), ['rewrite', 'access']);
  // One definition per subsystem, one of them unchecked: the code restricts nothing.
  assert.deepEqual(phases('set_cached'), ['rewrite', 'access']);
  assert.deepEqual(phases('get_latency'), ['log']);
  for (const name of ['get_header', 'get_raw_body', 'set_cached', 'get_latency'])
    assert.equal(reported(name), undefined);
  assert.ok(
    t.warnings.includes(
      'kong/pdk/service/response.lua:110: kong.service.response.get_latency: cannot read the phase check check_phase(pdk.phases_for("latency")); its doc is kept',
    ),
    t.warnings.join('\n'),
  );
});

test('without a list of phases the code decides, the check decides every phase', () => {
  const { phases } = extract();
  assert.deepEqual(phases('get_content_type'), [
    'rewrite',
    'access',
    'response',
    'header_filter',
    'body_filter',
    'log',
    'admin_api',
  ]);
});

test('extract prints a line per disagreeing function and lists them in the JSON report', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'extract-phases-'));
  const rpc = path.join(dir, 'rpc.yaml');
  fs.writeFileSync(rpc, `phases: [${PLUGIN_PHASES.join(', ')}]\n`);
  const report = path.join(dir, 'report.json');
  const write = process.stderr.write.bind(process.stderr);
  let stderr = '';
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += chunk.toString();
    return true;
  }) as typeof process.stderr.write;
  let code: number;
  try {
    code = await runExtract([
      '--kong',
      `${root}=main`,
      '--rpc',
      rpc,
      '--out',
      path.join(dir, 'pdk.yaml'),
      '--report',
      report,
    ]);
  } finally {
    process.stderr.write = write;
  }
  assert.equal(code, 0, stderr);
  const lines = stderr.split('\n').filter((l) => l.startsWith('phases: '));
  assert.deepEqual(
    lines.map((l) => l.split(': ')[2]),
    [
      'kong.service.response.get_status',
      'kong.service.response.get_content_type',
      'kong.service.response.get_address',
      'kong.service.response.set_retry',
    ],
  );
  assert.ok(
    lines.includes(
      'phases: kong/pdk/service/response.lua:38: kong.service.response.get_status: @phases header_filter, body_filter, log; check_phase(header_body_log) accepts response, header_filter, body_filter, log; taken from the code: +response (main)',
    ),
    lines.join('\n'),
  );
  const json = JSON.parse(fs.readFileSync(report, 'utf8')) as { phase_checks: { function: string; kong: string[] }[] };
  assert.deepEqual(
    json.phase_checks.map((p) => [p.function, p.kong]),
    [
      ['kong.service.response.get_status', ['main']],
      ['kong.service.response.get_content_type', ['main']],
      ['kong.service.response.get_address', ['main']],
      ['kong.service.response.set_retry', ['main']],
    ],
  );
});

test("the committed IDL lets kong.service.response's getters run in the response phase, as Kong's check does", () => {
  const idl = loadIdl(path.join(repoRoot, 'idl'), 'idl');
  for (const fn of ['get_status', 'get_headers', 'get_header', 'get_raw_body', 'get_body']) {
    const f = idl.functions.find((x) => x.name === `kong.service.response.${fn}`);
    assert.deepEqual(f?.externalPhases, ['response', 'log'], fn);
  }
  const reference = fs.readFileSync(path.join(repoRoot, 'generated', 'PDK.md'), 'utf8');
  const row = reference.split('\n').find((l) => l.includes('`kong.service.response.get_status`'));
  assert.match(row ?? '', /response, log/);
});

test("so the test kit lets a response-phase plugin read the service's response", async () => {
  const { loadPlugin } = await import('../../src/testing/index.js');
  let seen: unknown[] = [];
  class Plugin {
    async response(kong: import('../../src/index.js').Kong): Promise<void> {
      seen = [await kong.service.response.getStatus(), await kong.service.response.getHeader('x-up')];
    }
  }
  const kit = await loadPlugin({ Plugin, Version: '1.0.0', Priority: 1 });
  await kit.request({ upstream: { status: 201, headers: { 'x-up': 'u' }, body: 'hello' } }).run();
  assert.deepEqual(seen, [201, 'u']);
});
