/** Type-checks TypeScript files with the compiler API and the project's strict options. */
import * as path from 'node:path';
import ts from 'typescript';

/** Diagnostics of `files` (absolute paths) as readable lines, with `extra` options on top; empty when they type-check. */
export function typeCheck(files: string[], extra: ts.CompilerOptions = {}): string[] {
  const program = ts.createProgram(files, {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noUncheckedIndexedAccess: true,
    noImplicitOverride: true,
    noEmit: true,
    skipLibCheck: true,
    types: ['node'],
    typeRoots: [path.join(__dirname, '..', '..', '..', 'node_modules', '@types')],
    ...extra,
  });
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const where =
      d.file && d.start !== undefined
        ? `${d.file.fileName}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}: `
        : '';
    return where + ts.flattenDiagnosticMessageText(d.messageText, ' ');
  });
}
