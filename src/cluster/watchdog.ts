/**
 * A worker's side of the blocked-loop watchdog: it marks every entry into plugin code in
 * shared memory (a few integer stores), beats from the loop, counts the time the loop spent
 * blocked, and starts the thread that reports a loop blocked beyond the limit.
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { PHASES } from '../../generated/index.js';
import type { PluginEntry } from '../options.js';
import { WATCH } from './watchdog-layout.js';

const BEAT_MS = 50;

/** The worker's marks and heartbeat. */
export class Watchdog {
  private readonly cells = new Int32Array(new SharedArrayBuffer(WATCH.CELLS * 4));
  private readonly t0 = Date.now();
  private readonly pluginIndex = new Map<string, number>();
  private readonly plugins: string[] = [];
  private readonly phaseIndex = new Map<string, number>(PHASES.map((p, i) => [p, i]));
  private seq = 0;
  private lastBeat = Date.now();
  private thread: Worker | undefined;
  /** Ms the loop was late beyond the heartbeat period, summed. */
  blockedMs = 0;

  /** Marks that plugin code of `event` is about to run. */
  readonly enter = (event: PluginEntry): void => {
    const name = event.instance.plugin.name;
    let idx = this.pluginIndex.get(name);
    if (idx === undefined) {
      idx = this.plugins.length;
      this.plugins.push(name);
      this.pluginIndex.set(name, idx);
      this.thread?.postMessage(name);
    }
    const c = this.cells;
    const seq = ++this.seq;
    c[WATCH.PLUGIN] = idx;
    c[WATCH.INSTANCE] = event.instance.id;
    c[WATCH.EVENT] = event.id;
    c[WATCH.PHASE] = this.phaseIndex.get(event.phase) ?? -1;
    c[WATCH.RING + (seq % WATCH.RING_SIZE)] = idx;
    Atomics.store(c, WATCH.SEQ, seq);
  };

  /** Starts beating and, with a limit, the thread that reports to `fd`. */
  start(pluginNames: readonly string[], maxBlockedMs: number, fd: number, onError: (e: Error) => void): void {
    for (const n of pluginNames) {
      if (!this.pluginIndex.has(n)) {
        this.pluginIndex.set(n, this.plugins.length);
        this.plugins.push(n);
      }
    }
    this.beat();
    setInterval(() => this.beat(), BEAT_MS).unref();
    if (maxBlockedMs > 0) {
      this.thread = new Worker(path.join(__dirname, 'watchdog-thread.js'), {
        workerData: {
          sab: this.cells.buffer,
          t0: this.t0,
          maxBlockedMs,
          fd,
          plugins: this.plugins,
          phases: [...PHASES],
        },
        resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 2 },
        stdout: false,
        stderr: false,
      });
      // Without its watchdog the worker still serves; the primary's heartbeat check remains.
      this.thread.on('error', (e) => onError(e));
      this.thread.unref();
    }
  }

  private beat(): void {
    const now = Date.now();
    const late = now - this.lastBeat - BEAT_MS;
    if (late > BEAT_MS) this.blockedMs += late;
    this.lastBeat = now;
    Atomics.store(this.cells, WATCH.BEAT_SEQ, this.seq);
    Atomics.store(this.cells, WATCH.BEAT, (now - this.t0) | 0);
  }
}
