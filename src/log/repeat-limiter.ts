/**
 * Rate limiting for warnings that arrive in floods (garbage connections, oversized messages):
 * the first few of a kind in a window are written, the rest counted, and one line at the
 * window's end says how many were left out. A flood of a million bad connects writes a handful
 * of lines, not a million.
 */
import type { LogContext, Logger } from './logger.js';

interface KindState {
  windowStart: number;
  written: number;
  suppressed: number;
  timer: NodeJS.Timeout | undefined;
}

/** Writes at most `burst` warnings of one kind per `windowMs`, then a count of the rest. */
export class RepeatLimiter {
  private readonly kinds = new Map<string, KindState>();

  constructor(
    private readonly logger: Logger,
    private readonly burst = 5,
    private readonly windowMs = 10_000,
  ) {}

  /** A warning of `kind` (a short stable name, e.g. `undecodable`). */
  warn(kind: string, msg: string, context?: LogContext): void {
    if (!this.logger.enabled('warn')) return;
    const now = Date.now();
    let s = this.kinds.get(kind);
    if (s === undefined || (s.timer === undefined && now - s.windowStart >= this.windowMs)) {
      s = { windowStart: now, written: 0, suppressed: 0, timer: undefined };
      this.kinds.set(kind, s);
    }
    if (s.written < this.burst) {
      s.written++;
      this.logger.warn(msg, context);
      return;
    }
    s.suppressed++;
    if (s.timer === undefined) {
      const state = s;
      state.timer = setTimeout(() => this.flush(kind, state), state.windowStart + this.windowMs - now);
      state.timer.unref();
    }
  }

  /** Writes the pending counts now (at shutdown) and stops the timers. */
  flushAll(): void {
    for (const [kind, s] of this.kinds) this.flush(kind, s);
  }

  private flush(kind: string, s: KindState): void {
    if (s.timer !== undefined) clearTimeout(s.timer);
    s.timer = undefined;
    if (s.suppressed > 0) {
      const seconds = Math.max(1, Math.round((Date.now() - s.windowStart) / 1000));
      this.logger.warn(`${s.suppressed} more "${kind}" warnings in the last ${seconds} s were not logged`, {
        suppressed: s.suppressed,
      });
    }
    this.kinds.delete(kind);
  }
}
