/**
 * What a reviewer asks of generated code, checked on generated/ and the golden files: no
 * `x || true` / `true && x` guards, no conditional with two equal branches, no module-level
 * `let`/`var`, and no doc comment that only restates a name.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';
import { fixture, repoRoot } from '../helpers/paths.js';

function problems(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const out: string[] = [];
  const where = (n: ts.Node): string =>
    `${path.relative(repoRoot, file)}:${sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1}`;
  const visit = (n: ts.Node): void => {
    if (
      ts.isBinaryExpression(n) &&
      (n.operatorToken.kind === ts.SyntaxKind.BarBarToken ||
        n.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken) &&
      (n.left.kind === ts.SyntaxKind.TrueKeyword || n.right.kind === ts.SyntaxKind.TrueKeyword)
    )
      out.push(`${where(n)}: tautological guard ${n.getText(sf)}`);
    if (ts.isConditionalExpression(n) && n.whenTrue.getText(sf) === n.whenFalse.getText(sf))
      out.push(`${where(n)}: both branches are ${n.whenTrue.getText(sf)}`);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  for (const s of sf.statements) {
    if (ts.isVariableStatement(s) && !(s.declarationList.flags & ts.NodeFlags.Const))
      out.push(`${where(s)}: module-level mutable ${s.declarationList.getText(sf).split('=')[0]!.trim()}`);
  }
  for (const m of text.matchAll(/type of the IDL/g))
    out.push(`${path.relative(repoRoot, file)}: placeholder doc "${m[0]}"`);
  return out;
}

for (const dir of [path.join(repoRoot, 'generated'), fixture('golden-small')]) {
  test(`${path.relative(repoRoot, dir)}/*.ts has no tautological guard, dead branch, module state or placeholder doc`, () => {
    const files = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.ts'))
      .map((f) => path.join(dir, f));
    assert.ok(files.length >= 4);
    assert.deepEqual(files.flatMap(problems), []);
  });
}
