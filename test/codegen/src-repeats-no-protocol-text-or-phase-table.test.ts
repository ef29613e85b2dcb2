/**
 * The IDL owns every error text and phase table: hand-written code in src/ takes them from
 * generated/, never types them again. The facts come from the generated module, so a text
 * added to rpc.yaml is checked from then on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findProtocolLiterals, type ProtocolLiteral } from '../helpers/protocol-literals.js';
import { repoRoot } from '../helpers/paths.js';

/**
 * Literals still waiting for their owner to switch to the generated table, by file and
 * literal text. Each entry must still match (a stale one fails the test): remove it when the
 * file takes the table from generated/.
 */
const PENDING: readonly { file: string; literal: string }[] = [];

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(full);
    return e.name.endsWith('.ts') ? [full] : [];
  });
}

function scanSrc(): ProtocolLiteral[] {
  return sourceFiles(path.join(repoRoot, 'src')).flatMap((f) =>
    findProtocolLiterals(path.relative(repoRoot, f).split(path.sep).join('/'), fs.readFileSync(f, 'utf8')),
  );
}

const isPending = (l: ProtocolLiteral): boolean =>
  PENDING.some((p) => l.where.startsWith(`${p.file}:`) && l.literal === p.literal);

test('no string literal in src/ repeats an IDL error text, the contract phrase or a phase table', () => {
  const found = scanSrc().filter((l) => !isPending(l));
  assert.deepEqual(
    found.map((l) => `${l.where}: ${l.literal} repeats ${l.fact}`),
    [],
    'take these from generated/ (RpcErrors, PHASES, EXIT_PHASES, REFUSED_PHASES, FAIL_CLOSED_RESPONSE, withoutContractPhrase)',
  );
});

test('every pending exception still matches a literal in src/', () => {
  const found = scanSrc();
  for (const p of PENDING) {
    assert.ok(
      found.some((l) => l.where.startsWith(`${p.file}:`) && l.literal === p.literal),
      `${p.file} no longer has ${p.literal}: remove it from PENDING`,
    );
  }
});

test('the scan finds a repeated error text, a template with its placeholder, the contract phrase and a phase table', () => {
  const source = [
    "const a = 'HandleEvent without InstanceId: the instance failed to start earlier';",
    'const b = (id: number) => `no running event ${id}`;',
    'const c = /No Plugin Instance/i;',
    "const d = new Set(['rewrite', 'access', 'preread']);",
    "const e = 'phases: certificate, rewrite, access, response, preread, log';",
    "const f = { message: 'An unexpected error occurred' };",
    "const fine = ['GET', 'POST'];",
    "const alsoFine = 'plugin ' + name;",
  ].join('\n');
  const facts = findProtocolLiterals('example.ts', source).map((l) => `${l.where} ${l.fact}`);
  assert.deepEqual(facts, [
    'example.ts:1 error text MissingInstanceId',
    'example.ts:2 error text NoRunningEvent',
    'example.ts:3 contract_phrase',
    'example.ts:4 a phase table',
    'example.ts:5 phase list "certificate, rewrite, access, response, preread, log"',
    'example.ts:6 fail_closed.message',
  ]);
});
