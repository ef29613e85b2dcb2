/**
 * Finds protocol facts typed by hand in TypeScript source: string literals that repeat an
 * error text of the IDL (or a significant piece of one), the contract phrase, Kong's
 * fail-closed message, and array literals that spell out a phase table. The facts are read
 * from the generated module, so a text added to the IDL is checked from then on.
 */
import ts from 'typescript';
import {
  CONTRACT_PHRASE,
  EXIT_PHASES,
  FAIL_CLOSED_RESPONSE,
  PHASES,
  REFUSED_PHASES,
  RPC_ERROR_TEXTS,
} from '../../generated/index.js';

/** One hand-written literal that duplicates an IDL fact. */
export interface ProtocolLiteral {
  /** `file:line`. */
  where: string;
  /** The literal as written (template substitutions shown as `${…}`). */
  literal: string;
  /** Which fact it repeats. */
  fact: string;
}

// Below this length a fixed piece of an error text (" does not exist", " must be an integer")
// is ordinary English; longer pieces identify their text even when the rest is rebuilt.
const MIN_FRAGMENT = 20;

interface TextPattern {
  /** The whole text with each placeholder as `\0`. */
  shape: string;
  /** Its fixed pieces long enough to identify it. */
  fragments: string[];
  fact: string;
}

/** Every IDL text, as a shape and as identifying pieces, with the fact it belongs to. */
function textPatterns(): TextPattern[] {
  const out: TextPattern[] = Object.entries(RPC_ERROR_TEXTS).map(([name, { text }]) => ({
    shape: text.replace(/\{[a-z]+\}/g, '\0'),
    fragments: text.split(/\{[a-z]+\}/).filter((piece) => piece.trim().length >= MIN_FRAGMENT),
    fact: `error text ${name}`,
  }));
  const message = FAIL_CLOSED_RESPONSE.body.message;
  out.push({ shape: message, fragments: [message], fact: 'fail_closed.message' });
  return out;
}

const PHASE_NAMES: ReadonlySet<string> = new Set([...PHASES, ...REFUSED_PHASES.keys()]);

/** The fixed text of a literal, with each substitution as `\0`. */
function staticText(node: ts.TemplateExpression): string {
  return node.head.text + node.templateSpans.map((s) => '\0' + s.literal.text).join('');
}

/** Scans one source text; `file` names it in the results. */
export function findProtocolLiterals(file: string, source: string): ProtocolLiteral[] {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.ES2022, true);
  const patterns = textPatterns();
  const phaseLists = [PHASES.join(', '), [...EXIT_PHASES].join(', ')];
  const found: ProtocolLiteral[] = [];
  const at = (node: ts.Node): string => `${file}:${sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1}`;
  const report = (node: ts.Node, fact: string): void => {
    found.push({ where: at(node), literal: node.getText(sf), fact });
  };

  const checkText = (node: ts.Node, text: string): void => {
    const pieces = text.split('\0');
    const hit = patterns.find(
      (p) => text.includes(p.shape) || p.fragments.some((f) => pieces.some((piece) => piece.includes(f))),
    );
    if (hit) return report(node, hit.fact);
    if (text.toLowerCase().includes(CONTRACT_PHRASE.toLowerCase())) return report(node, 'contract_phrase');
    const list = phaseLists.find((l) => text.includes(l));
    if (list) report(node, `phase list "${list}"`);
  };

  const visit = (node: ts.Node): void => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) checkText(node, node.text);
    else if (ts.isTemplateExpression(node)) checkText(node, staticText(node));
    else if (node.kind === ts.SyntaxKind.RegularExpressionLiteral) {
      const body = node.getText(sf).replace(/^\/|\/[a-z]*$/g, '');
      if (body.toLowerCase().includes(CONTRACT_PHRASE.toLowerCase())) report(node, 'contract_phrase');
    } else if (ts.isArrayLiteralExpression(node)) {
      const values = node.elements.map((e) => (ts.isStringLiteral(e) ? e.text : undefined));
      // Two or more phase names and nothing else: a phase table typed again.
      if (values.length >= 2 && values.every((v) => v !== undefined && PHASE_NAMES.has(v)))
        report(node, 'a phase table');
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}
