/** The `--workers` value: a count, or `auto` for one worker per available CPU. */
import * as os from 'node:os';

/** The number of worker processes `value` asks for (undefined: not a count nor `auto`). */
export function workerCount(value: string): number | undefined {
  if (value === 'auto') return Math.max(1, os.availableParallelism());
  if (!/^\d+$/.test(value)) return undefined;
  const n = Number(value);
  return n >= 1 && n <= 1024 ? n : undefined;
}
