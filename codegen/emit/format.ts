/**
 * Formats emitted TypeScript with the TypeScript formatter (through ts-morph) and refuses
 * output that does not parse, so a template mistake fails generation instead of landing.
 */
import { Node, Project, SyntaxKind, ts, type SourceFile } from 'ts-morph';

const project = new Project({
  useInMemoryFileSystem: true,
  compilerOptions: { target: ts.ScriptTarget.ES2022, strict: true },
});

/** Parses `text`, throws on a syntax error, and returns the formatted source with its AST. */
export function formatTypeScript(fileName: string, text: string): { text: string; file: SourceFile } {
  const existing = project.getSourceFile(fileName);
  if (existing) project.removeSourceFile(existing);
  const file = project.createSourceFile(fileName, text);
  const diagnostics = project.getProgram().compilerObject.getSyntacticDiagnostics(file.compilerNode);
  const first = diagnostics[0];
  if (first) {
    const { line, character } = file.compilerNode.getLineAndCharacterOfPosition(first.start ?? 0);
    throw new Error(
      `emitted ${fileName} does not parse at ${line + 1}:${character + 1}: ${ts.flattenDiagnosticMessageText(first.messageText, ' ')}`,
    );
  }
  file.formatText({
    indentSize: 2,
    tabSize: 2,
    convertTabsToSpaces: true,
    ensureNewLineAtEndOfFile: true,
    semicolons: ts.SemicolonPreference.Insert,
  });
  // Collapse the blank-line runs templates leave behind.
  const formatted = file.getFullText().replace(/\n{3,}/g, '\n\n');
  return { text: formatted, file };
}

/** String literals passed as the first argument of calls to `<anything>.call(...)` or `t.call(...)`. */
export function calledMethodNames(file: SourceFile): Set<string> {
  const names = new Set<string>();
  for (const call of file.getDescendantsOfKind(SyntaxKind.CallExpression)) {
    const callee = call.getExpression();
    if (!Node.isPropertyAccessExpression(callee) || callee.getName() !== 'call') continue;
    const first = call.getArguments()[0];
    if (first && Node.isStringLiteral(first)) names.add(first.getLiteralValue());
  }
  return names;
}

/** The string keys of the entries of the `new Map([...])` that initialises variable `name`. */
export function mapLiteralKeys(file: SourceFile, name: string): string[] {
  const init = file.getVariableDeclarationOrThrow(name).getInitializerIfKindOrThrow(SyntaxKind.NewExpression);
  const array = init.getArguments()[0];
  if (!array || !Node.isArrayLiteralExpression(array))
    throw new Error(`${name} is not initialised from an array literal`);
  return array.getElements().map((e) => {
    const key = Node.isArrayLiteralExpression(e) ? e.getElements()[0] : undefined;
    if (!key || !Node.isStringLiteral(key)) throw new Error(`${name} has an entry without a string key`);
    return key.getLiteralValue();
  });
}
