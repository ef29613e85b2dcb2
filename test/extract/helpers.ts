/** Shared helpers of the extractor tests: the fixture trees and their rules, read once. */
import { mergeTrees } from '../../codegen/extract/merge.js';
import type { TreeExtraction } from '../../codegen/extract/model.js';
import { loadRules, NO_RULES, RuleBook, type ExtractRules } from '../../codegen/extract/rules.js';
import { extractTree } from '../../codegen/extract/tree.js';
import { fixture } from '../helpers/paths.js';

/** A fixture Kong tree: `old` (2.8-like, 2.x RPC layer), `mid` (3.0-like, ≤3.8 layout), `new` (main, 3.9+ layout). */
export function tree(name: 'old' | 'mid' | 'new'): string {
  return fixture('kong-lua', name);
}

/** The rules written for the fixture trees. */
export function fixtureRules(): ExtractRules {
  return loadRules(fixture('kong-lua', 'extract-rules.yaml'));
}

/** Extracts one fixture tree; `new` is labelled main. */
export function extractFixture(
  name: 'old' | 'mid' | 'new',
  rules: ExtractRules = fixtureRules(),
  book = new RuleBook(rules),
): TreeExtraction {
  return extractTree(tree(name), { book, ...(name === 'new' ? { label: 'main' } : {}) });
}

/** The three fixture trees merged. */
export function mergedFixtures(keepRemoved = false) {
  const book = new RuleBook(fixtureRules());
  const trees = (['old', 'mid', 'new'] as const).map((n) => extractFixture(n, book.rules, book));
  return { trees, book, merged: mergeTrees(trees, { keepRemoved }) };
}

/** A golden file's path. */
export function golden(name: string): string {
  return fixture('kong-lua', 'golden', name);
}

export { NO_RULES };
