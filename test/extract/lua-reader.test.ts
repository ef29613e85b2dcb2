/** The Lua and ldoc readers: tokens, doc blocks, definitions and body facts in Kong's shapes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { codeFacts } from '../../codegen/extract/code-facts.js';
import { readDocBlocks, tagOf } from '../../codegen/extract/ldoc.js';
import { findDefinitions } from '../../codegen/extract/lua-defs.js';
import { blockEnd, codeTokens, tokenize } from '../../codegen/extract/lua-lexer.js';
import { splitTyped } from '../../codegen/extract/lua-types.js';
import { parsePhases } from '../../codegen/extract/pdk-module.js';
import { readPdkModules } from '../../codegen/extract/pdk-init.js';
import { readProto, rpcMethodName } from '../../codegen/extract/proto.js';

test('dashes inside strings and keywords inside comments or long strings are not code', () => {
  const src = 'local s = "-- not a comment" --[[ end function ]] local t = [==[ end ]==]\nfunction f() end';
  const code = codeTokens(tokenize(src));
  assert.deepEqual(
    code.filter((t) => t.kind === 'keyword').map((t) => t.value),
    ['local', 'local', 'function', 'end'],
  );
  assert.equal(code.find((t) => t.kind === 'string')!.value, '-- not a comment');
  const fn = code.findIndex((t) => t.value === 'function');
  assert.equal(blockEnd(code, fn), code.length - 1);
});

test('a --- line starts a new doc block even right after another block', () => {
  const src = [
    '--- First.',
    '-- @function kong.log',
    '-- @param ... any',
    '---',
    '-- Second.',
    '-- @function kong.log.LEVEL',
    'local x = 1',
  ].join('\n');
  const blocks = readDocBlocks(tokenize(src));
  assert.deepEqual(
    blocks.map((b) => tagOf(b, 'function')!.text),
    ['kong.log', 'kong.log.LEVEL'],
  );
  assert.deepEqual(
    blocks.map((b) => b.startLine),
    [1, 4],
  );
});

test('a tag continues on the next comment lines; @usage text is not read as tags', () => {
  const src = [
    '---',
    '-- @function kong.x.y',
    '-- @phases `rewrite`, `access`,',
    '--         `log`',
    '-- @usage',
    '-- -- @tparam string nope',
    'f()',
  ].join('\n');
  const [b] = readDocBlocks(tokenize(src));
  assert.equal(tagOf(b!, 'phases')!.text, '`rewrite`, `access`, `log`');
  assert.equal(tagOf(b!, 'tparam'), undefined);
  assert.equal(b!.ldoc, true);
});

test('@phases lists lose their backticks and keep parenthesised conditions', () => {
  assert.deepEqual(parsePhases('rewrite, `access`, header_filter (only if `body` is nil)'), {
    phases: ['rewrite', 'access', 'header_filter'],
    conditions: { header_filter: 'only if body is nil' },
  });
});

test('ldoc types are normalised: bool, err, array of strings', () => {
  assert.deepEqual(splitTyped('array of strings|string|number|boolean value The value.').types, [
    'string[]',
    'string',
    'number',
    'boolean',
  ]);
  assert.equal(splitTyped('array of strings|string value').rest, 'value');
  const err = splitTyped('nil|err `nil` on success');
  assert.deepEqual(err.types, ['nil', 'string']);
  assert.equal(err.errWord, true);
  assert.deepEqual(splitTyped('bool flag').types, ['boolean']);
});

test('definitions are found in every shape the PDK uses', () => {
  const src = [
    'function _REQUEST.get_header(name) end',
    'function self:set_should_sample(v) end',
    'local function set_serialize_value(key, value, options) end',
    'request.set_header = function(header, value) end',
    'local api = { ["kong.nginx.get_var"] = function(v) end, ["kong.x.alias"] = ngx_ssl.get_tls1_version_str }',
    'self.serialize = serialize',
    'local m = { new = new_tab, merge = merge_tab }',
    'local new_tab = require "table.new"',
  ].join('\n');
  const defs = findDefinitions(codeTokens(tokenize(src)));
  const by = (target: string) => defs.find((d) => d.target === target)!;
  assert.deepEqual(by('_REQUEST.get_header').params, ['name']);
  assert.equal(by('self:set_should_sample').colon, true);
  assert.equal(by('self:set_should_sample').last, 'set_should_sample');
  assert.equal(by('set_serialize_value').local, true);
  assert.deepEqual(by('request.set_header').params, ['header', 'value']);
  assert.equal(by('kong.nginx.get_var').stringKey, true);
  assert.equal(by('kong.x.alias').aliasOf, 'ngx_ssl.get_tls1_version_str');
  assert.equal(by('self.serialize').aliasOf, 'serialize');
  assert.equal(by('new').aliasOf, 'new_tab');
  assert.equal(by('merge').aliasOf, 'merge_tab');
  assert.equal(by('new_tab').opaque, true);
});

test('body facts: (nil, err) returns, type() checks, raising, never returning', () => {
  const src = [
    'function f(name, opts)',
    '  if type(name) ~= "string" then error("bad", 2) end',
    '  if ctx.delay then coroutine.yield() else return send(200) end',
    '  return nil, "failed: " .. name',
    'end',
  ].join('\n');
  const tokens = codeTokens(tokenize(src));
  const [def] = findDefinitions(tokens);
  const facts = codeFacts(src, tokens, def!.body!.from, def!.body!.to);
  assert.equal(facts.returnsNilErr, true);
  assert.deepEqual(facts.checkedTypes, { name: 'string' });
  assert.equal(facts.raises, true);
  assert.equal(facts.neverReturns, true);
});

test('init.lua: loaded modules, and the http-only ones', () => {
  const mods = readPdkModules(
    'local MAJOR_MODULES = { "table", "log", "service.request", }\nif ngx.config.subsystem == \'http\' then\n  table.insert(MAJOR_MODULES, \'client.tls\')\nend',
  );
  assert.deepEqual(mods.loaded, ['table', 'log', 'service.request', 'client.tls']);
  assert.deepEqual(mods.subsystemOnly, { 'client.tls': 'http' });
});

test('proto: service Kong rpcs, MethodName options and pb_rpc name rule', () => {
  assert.equal(rpcMethodName('Kong', 'Nginx_GetTls1VersionStr'), 'kong.nginx.get_tls1_version_str');
  assert.equal(rpcMethodName('Kong', 'Service_Request_SetRawBody'), 'kong.service.request.set_raw_body');
  const proto = readProto(
    'message KV { string k = 1; google.protobuf.Value v = 2; }\n// rpc Fake(KV) returns (KV);\nservice Kong {\n rpc Ctx_SetShared(KV) returns (google.protobuf.Empty) { option (MethodName) = "kong.ctx.shared.set"; };\n rpc Ip_IsTrusted(String) returns (Bool);\n}',
  );
  assert.deepEqual(
    proto.rpcs.map((r) => [r.rpc, r.method, r.input, r.output]),
    [
      ['Ctx_SetShared', 'kong.ctx.shared.set', 'KV', 'google.protobuf.Empty'],
      ['Ip_IsTrusted', 'kong.ip.is_trusted', 'String', 'Bool'],
    ],
  );
  assert.deepEqual(
    proto.messages['KV']!.map((f) => f.name),
    ['k', 'v'],
  );
});
