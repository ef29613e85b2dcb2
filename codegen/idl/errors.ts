/** An IDL problem located in a file: formatted as one line, `file:line:col: path: reason`. */
export class IdlError extends Error {
  constructor(
    readonly file: string,
    readonly path: readonly (string | number)[],
    readonly reason: string,
    readonly line?: number,
    readonly col?: number,
  ) {
    super(`${file}${line !== undefined ? `:${line}:${col ?? 1}` : ''}: ${formatPath(path)}: ${reason}`);
    this.name = 'IdlError';
  }
}

/** `['functions', 3, 'params', 0, 'type']` → `functions[3].params[0].type`. */
export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${p}` : p;
  }
  return out || '(root)';
}
