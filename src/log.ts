/** The server's logging: records with time and context (log/logger.ts), floods rate-limited (log/repeat-limiter.ts). */
export * from './log/logger.js';
export { RepeatLimiter } from './log/repeat-limiter.js';
