/**
 * The watchdog thread of a worker: it runs beside the worker's event loop and notices when
 * that loop stops turning. Plugin code runs on the loop, so a handler stuck in a synchronous
 * loop stops the heartbeat; the thread then tells the primary which plugin was last entered,
 * writing straight to the report pipe (the worker's own channels need its blocked loop).
 */
import * as fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { WATCH } from './watchdog-layout.js';
import type { BlockedReport } from './messages.js';

interface ThreadData {
  sab: SharedArrayBuffer;
  t0: number;
  maxBlockedMs: number;
  fd: number;
  plugins: string[];
  phases: string[];
}

const data = workerData as ThreadData;
const cells = new Int32Array(data.sab);
let reportedBeat = -1;

function check(): void {
  const now = (Date.now() - data.t0) | 0;
  const beat = Atomics.load(cells, WATCH.BEAT);
  const lag = (now - beat) | 0;
  if (lag <= data.maxBlockedMs || reportedBeat === beat) return;
  reportedBeat = beat;
  const seq = Atomics.load(cells, WATCH.SEQ);
  const beatSeq = Atomics.load(cells, WATCH.BEAT_SEQ);
  const others = new Set<string>();
  for (let s = Math.max(beatSeq + 1, seq - WATCH.RING_SIZE + 1); s < seq; s++) {
    const name = data.plugins[Atomics.load(cells, WATCH.RING + (s % WATCH.RING_SIZE))];
    if (name !== undefined) others.add(name);
  }
  const entered = seq > beatSeq;
  const plugin = entered ? data.plugins[Atomics.load(cells, WATCH.PLUGIN)] : undefined;
  if (plugin !== undefined) others.delete(plugin);
  const report: BlockedReport = {
    blockedMs: lag,
    plugin,
    instance: entered ? Atomics.load(cells, WATCH.INSTANCE) : 0,
    event: entered ? Atomics.load(cells, WATCH.EVENT) : 0,
    phase: entered ? data.phases[Atomics.load(cells, WATCH.PHASE)] : undefined,
    others: [...others],
  };
  try {
    fs.writeSync(data.fd, JSON.stringify(report) + '\n');
  } catch {
    // the primary is gone; the worker exits on its own when the channel closes
  }
}

// Plugins loaded after the start (SetPluginDir) are announced by name.
parentPort?.on('message', (name: string) => data.plugins.push(name));
setInterval(check, Math.max(20, Math.min(250, data.maxBlockedMs / 4)));
