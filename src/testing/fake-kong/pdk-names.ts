/** PDK function names as the kit accepts them, and which functions may fail with `(nil, err)`. */
import { PDK_CAMEL_TO_KONG, PDK_FUNCTIONS } from '../../../generated/index.js';
import pdkIndex from '../../../generated/pdk-index.json';
import { KitError } from '../errors.js';

/** Kong's name of a PDK function given either spelling; throws for an unknown one. */
export function kongName(name: string): string {
  if (PDK_FUNCTIONS.has(name)) return name;
  const k = PDK_CAMEL_TO_KONG.get(name);
  if (k) return k;
  throw new KitError(
    'usage',
    `no PDK function ${name} (names look like kong.request.get_header or kong.request.getHeader)`,
  );
}

const NIL_ERR: ReadonlySet<string> = new Set(
  (pdkIndex as { functions: { name: string; nil_err: boolean }[] }).functions
    .filter((f) => f.nil_err)
    .map((f) => f.name),
);

/** True when Kong documents `method` as returning `(nil, err)`. */
export function returnsNilErr(method: string): boolean {
  return NIL_ERR.has(method);
}
