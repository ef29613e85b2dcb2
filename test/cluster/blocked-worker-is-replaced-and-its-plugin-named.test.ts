/**
 * Supervision of blocked workers: a plugin that keeps its worker's event loop busy past
 * --max-blocked gets that worker replaced, the log names the plugin, the other worker's events
 * finish in normal time meanwhile, and GetStatus counts the replacement and the blocked time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startInstance, startTestServer, type KongConnection } from '../helpers/kong-client.js';
import { fixture } from '../helpers/paths.js';

test('a worker blocked past --max-blocked is replaced, the plugin named, the other worker unaffected', async () => {
  const ts = await startTestServer({}, fixture('cluster-plugins'), 2, 400);
  try {
    const c = await ts.connect();
    const hog = await startInstance(c, 'hog', { ms: 2500 });
    const pair = await startInstance(c, 'pair');
    // A connection of each worker (the worker owning the event begun on it: id modulo 2).
    const byWorker = new Map<number, KongConnection>();
    while (byWorker.size < 2) {
      const k = await ts.connect();
      const ev = await k.call('HandleEvent', { InstanceId: pair, EventName: 'access' });
      await k.call('Step', { EventId: ev.EventId, Data: 'warm' });
      await k.call('Step', { EventId: ev.EventId });
      byWorker.set(ev.EventId % 2, k);
    }
    const w0 = byWorker.get(0)!;
    const w1 = byWorker.get(1)!;
    const victim = ts.cluster!.workerPids()[0];

    const first = await w0.call('HandleEvent', { InstanceId: hog, EventName: 'access' });
    assert.equal(first.EventId % 2, 0);
    const blockedAt = Date.now();
    // This Step starts the 2.5 s busy loop in worker 0; its connection dies with the worker.
    const stuck = w0.request('plugin.Step', [{ EventId: first.EventId, Data: 'h' }]).then(
      () => 'answered',
      (e: Error) => e.message,
    );

    // Meanwhile worker 1 serves at its normal pace.
    const times: number[] = [];
    while (Date.now() - blockedAt < 700) {
      const t0 = Date.now();
      const ev = await w1.call('HandleEvent', { InstanceId: pair, EventName: 'access' });
      assert.deepEqual((await w1.call('Step', { EventId: ev.EventId, Data: 'x' })).Data.Args, ['x-pair', 'x']);
      assert.equal((await w1.call('Step', { EventId: ev.EventId })).Data, 'ret');
      times.push(Date.now() - t0);
    }
    assert.ok(times.length > 5, `${times.length} events on worker 1 during the block`);
    times.sort((a, b) => a - b);
    assert.ok(
      times[Math.floor(times.length / 2)]! < 100,
      `median event time ${times[Math.floor(times.length / 2)]} ms`,
    );

    assert.equal(await stuck, 'connection closed');
    const deadline = Date.now() + 3000;
    while (ts.cluster!.workerPids()[0] === victim && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await ts.cluster!.whenAllReady(3000);
    const replacedAfter = Date.now() - blockedAt;
    assert.ok(
      replacedAfter < 2500,
      `replaced ${replacedAfter} ms after the block began, before the loop would have ended`,
    );

    const line = ts.logLines.find((l) => l.includes('blocked for'));
    assert.ok(line, 'the block is logged');
    assert.match(
      line,
      new RegExp(
        `^\\[error\\] (\\S+ )?worker 0 \\(pid ${victim}\\) blocked for \\d+\\.\\d s in plugin hog \\(instance ${hog}, event ${first.EventId}, access phase\\)`,
      ),
    );

    const status = await w1.call('GetStatus');
    assert.equal(status.Workers[0].Restarts, 1);
    assert.equal(status.Workers[0].BlockedRestarts, 1);
    assert.equal(status.Workers[1].Restarts, 0);
    assert.ok(status.Workers[0].BlockedMs >= 400, `blocked ${status.Workers[0].BlockedMs} ms`);
    // Both instances live on in the replacement.
    const fresh = await Promise.all([ts.connect(), ts.connect(), ts.connect()]);
    for (const k of fresh) {
      const ev = await k.call('HandleEvent', { InstanceId: pair, EventName: 'access' });
      await k.call('Step', { EventId: ev.EventId, Data: 'y' });
      await k.call('Step', { EventId: ev.EventId });
      assert.equal((await k.call('InstanceStatus', hog)).Id, hog);
    }
  } finally {
    await ts.close();
  }
});
