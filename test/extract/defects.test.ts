/** Every doc defect the fixtures reproduce is reported, and repaired only as a reviewed rule says. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { loadRules, parseRules, RuleBook, RulesError } from '../../codegen/extract/rules.js';
import { repoRoot } from '../helpers/paths.js';
import { extractFixture, mergedFixtures, NO_RULES } from './helpers.js';

const fn = (t: ReturnType<typeof extractFixture>, name: string) => t.functions.find((f) => f.name === name);
const defect = (t: ReturnType<typeof extractFixture>, kind: string, name: string) =>
  t.defects.find((d) => d.kind === kind && d.function === name);

test('missing @tparam: the code parameter is kept, typed from its type() check, documented: false', () => {
  const main = extractFixture('new');
  assert.deepEqual(fn(main, 'kong.request.get_query_arg')!.params, [
    { name: 'name', type: 'string', documented: false },
  ]);
  assert.equal(defect(main, 'missing_tparam', 'kong.request.get_query_arg')!.rule, 'query-arg-name');
  // A code `...` no tag documents.
  assert.deepEqual(fn(main, 'kong.tracing.process_span')!.params[1], {
    name: '...',
    vararg: true,
    type: 'any',
    documented: false,
  });
});

test('malformed tag @max_size[opt]: recovered as a parameter by its rule, reported, and left alone without one', () => {
  const main = extractFixture('new');
  assert.deepEqual(fn(main, 'kong.request.get_raw_body')!.params, [
    { name: 'max_size', type: 'number', optional: true },
  ]);
  const d = defect(main, 'malformed_tag', 'kong.request.get_raw_body')!;
  assert.equal(d.rule, 'raw-body-malformed');
  assert.equal(d.source, 'kong/pdk/request.lua:57');
  const bare = extractFixture('new', NO_RULES);
  assert.equal(defect(bare, 'malformed_tag', 'kong.request.get_raw_body')!.rule, undefined);
  // Without the repair the code parameter still shows up, as undocumented.
  assert.deepEqual(fn(bare, 'kong.request.get_raw_body')!.params, [
    { name: 'max_size', type: 'any', documented: false },
  ]);
});

test('a doc block starting with -- instead of ---: read and flagged', () => {
  const main = extractFixture('new');
  assert.equal(fn(main, 'kong.service.set_retry_callback')!.doc_block_not_ldoc, true);
  assert.equal(defect(main, 'not_ldoc_block', 'kong.service.set_retry_callback')!.rule, 'retry-callback-not-ldoc');
});

test('wrong label (3.0 new_span): renamed after the code by its rule; kept and deduplicated without it', () => {
  const mid = extractFixture('mid');
  assert.ok(fn(mid, 'kong.tracing.active_span'));
  assert.ok(fn(mid, 'kong.tracing.start_span'));
  assert.equal(fn(mid, 'kong.tracing.new_span'), undefined);
  assert.equal(mid.defects.filter((d) => d.kind === 'name_mismatch' && d.rule === 'new-span-labels').length, 2);
  const bare = extractFixture('mid', NO_RULES);
  assert.ok(fn(bare, 'kong.tracing.new_span'));
  assert.equal(fn(bare, 'kong.tracing.start_span'), undefined);
  assert.ok(bare.warnings.some((w) => /new_span is documented twice/.test(w)));
});

test('documented parameter names that differ from the code are recorded, the documented name kept', () => {
  const main = extractFixture('new');
  const setBody = fn(main, 'kong.service.set_body')!;
  assert.deepEqual(setBody.param_name_mismatch, [{ doc: 'mimetype', code: 'mime' }]);
  assert.equal(setBody.params[1]!.name, 'mimetype');
  assert.equal(defect(main, 'param_name_mismatch', 'kong.service.set_body')!.rule, 'set-body-mime');
});

test('(nil, err) returned by the code but undocumented: flagged code_returns_nil_err', () => {
  const main = extractFixture('new');
  assert.equal(fn(main, 'kong.service.set_header')!.code_returns_nil_err, true);
  assert.equal(fn(main, 'kong.service.set_header')!.nil_err, undefined);
  assert.equal(defect(main, 'undocumented_nil_err', 'kong.service.set_header')!.rule, 'set-header-nil-err');
  // Documented (nil, err): nil_err, no defect.
  assert.equal(fn(main, 'kong.request.get_raw_body')!.nil_err, true);
  assert.equal(defect(main, 'undocumented_nil_err', 'kong.request.get_raw_body'), undefined);
  assert.equal(
    defect(extractFixture('old'), 'undocumented_nil_err', 'kong.request.get_raw_body')!.rule,
    'raw-body-nil-err',
  );
});

test('wrong @treturn and required-but-optional params are reported while the doc still says so; pdk.yaml keeps Kong terms', () => {
  const main = extractFixture('new');
  assert.deepEqual(fn(main, 'kong.service.get_credential')!.returns, [{ type: 'string' }]);
  assert.match(
    defect(main, 'wrong_treturn', 'kong.service.get_credential')!.message,
    /@treturn says string, but the code returns table \| nil/,
  );
  assert.equal(defect(main, 'optional_undocumented', 'kong.log.set_serialize_value')!.rule, 'serialize-value-options');
});

test('MsgPack judgments: functions, cdata, colon methods derived; live objects from the rules', () => {
  const main = extractFixture('new');
  assert.deepEqual(fn(main, 'kong.service.set_tls_cert_key')!.msgpack, {
    callable: false,
    problems: ['param chain is cdata', 'param key is cdata'],
  });
  assert.deepEqual(fn(main, 'kong.client.tls.request_client_certificate')!.msgpack, {
    limitations: ['param ca_certs is cdata'],
  });
  assert.deepEqual(fn(main, 'kong.tracing.set_should_sample')!.msgpack, {
    callable: false,
    problems: ['colon method (needs self)'],
  });
  assert.equal(fn(main, 'kong.tracing.set_should_sample')!.colon_method, true);
  assert.deepEqual(fn(main, 'kong.tracing.active_span')!.msgpack, { limitations: ['returns a span object'] });
  assert.equal(fn(main, 'kong.response.exit')!.never_returns, true);
});

test('without rules every defect is reported unreviewed; with them none is, and no rule is stale over all trees', () => {
  const bare = extractFixture('new', NO_RULES);
  assert.ok(bare.defects.length >= 10);
  assert.ok(bare.defects.every((d) => d.rule === undefined));
  const { trees, book } = mergedFixtures();
  assert.ok(
    trees.every((t) => t.defects.every((d) => d.rule !== undefined)),
    'every fixture defect has a rule',
  );
  assert.deepEqual(book.unused(), []);
  // One tree alone leaves the rules for the other trees' defects unused: reported as stale.
  const single = new RuleBook(book.rules);
  extractFixture('new', book.rules, single);
  assert.deepEqual(single.unused().sort(), ['new-span-labels', 'raw-body-nil-err']);
});

test('rules files are checked: kinds, repairs, reasons, unique ids; the repository file loads', () => {
  assert.throws(
    () =>
      parseRules(
        'format: kong-ts-pdk/extract-rules/1\ndefects:\n  - {id: a, kind: malformed_tag, function: kong.x, repair: code_param, tag: t, why: "long enough reason"}',
      ),
    RulesError,
  );
  assert.throws(
    () =>
      parseRules(
        'format: kong-ts-pdk/extract-rules/1\ndefects:\n  - {id: a, kind: missing_tparam, function: kong.x, repair: code_param, why: "no param given here"}',
      ),
    /needs 'param'/,
  );
  assert.throws(() => parseRules('format: other'), /format/);
  const repo = loadRules(path.join(repoRoot, 'idl', 'extract-rules.yaml'));
  assert.ok(repo.defects.length >= 15);
  assert.ok([...repo.defects, ...repo.msgpack].every((r) => r.why.length >= 10));
});
