/**
 * Names between Kong's snake_case and the PDK client's camelCase.
 *
 * The client uses kong-js-pdk's camelCase method names so that its plugins run unchanged, but
 * the mapping back to Kong's names is an explicit table built here, never a regex at run
 * time: kong-js-pdk's `/[a-z][A-Z]/` rule cannot express `get_tls1_version_str`.
 */

/** `get_tls1_version_str` → `getTls1VersionStr`; `max_allowed_file_size` → `maxAllowedFileSize`. */
export function snakeToCamel(snake: string): string {
  return snake.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/** What kong-js-pdk's run-time proxy turns a camelCase name into. */
export function kongJsPdkSnake(camel: string): string {
  return camel.replace(/[a-z][A-Z]/g, (s) => `${s[0]}_${s[1]}`.toLowerCase());
}

/**
 * The spelling a kong-js-pdk plugin must use to reach `snake` through that proxy, when it
 * differs from {@link snakeToCamel} (only an underscore after a digit does): for
 * `get_tls1_version_str` it is `getTls1_versionStr`. Undefined when the two agree.
 */
export function kongJsPdkAlias(snake: string): string | undefined {
  const camel = snakeToCamel(snake);
  if (kongJsPdkSnake(camel) === snake) return undefined;
  const alias = snake.replace(/([a-z])_([a-z])/g, (_m, a: string, b: string) => a + b.toUpperCase());
  return kongJsPdkSnake(alias) === snake ? alias : undefined;
}

/** `kong.service.request` → `KongServiceRequest` (interface and class names). */
export function modulePathToTypeName(path: string): string {
  return path
    .split('.')
    .map((p) => p.charAt(0).toUpperCase() + snakeToCamel(p).slice(1))
    .join('');
}

const RESERVED = new Set([
  'break', 'case', 'catch', 'class', 'const', 'continue', 'debugger', 'default', 'delete', 'do',
  'else', 'enum', 'export', 'extends', 'false', 'finally', 'for', 'function', 'if', 'import', 'in',
  'instanceof', 'new', 'null', 'return', 'super', 'switch', 'this', 'throw', 'true', 'try', 'typeof',
  'var', 'void', 'while', 'with', 'let', 'static', 'yield', 'await', 'arguments', 'eval',
]);

/** A TypeScript-safe parameter name for a Lua parameter. */
export function paramName(lua: string): string {
  const camel = snakeToCamel(lua);
  return RESERVED.has(camel) ? `${camel}_` : camel;
}
