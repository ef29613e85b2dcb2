/**
 * One server to Kong with two workers: every connection greets with the primary's pid, an
 * event's Steps may arrive on a connection of either worker (the other worker forwards them),
 * instance ids are valid in both workers as soon as StartInstance answers, and GetStatus counts
 * the forwarded Steps.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startInstance, startTestServer, type KongConnection } from '../helpers/kong-client.js';
import { fixture } from '../helpers/paths.js';

test('Steps hop between the connections of both workers; the greeting names the primary', async () => {
  const ts = await startTestServer({}, fixture('cluster-plugins'), 2);
  try {
    const conns: KongConnection[] = await Promise.all(Array.from({ length: 6 }, () => ts.connect()));
    const byWorker = new Map<number, KongConnection[]>();
    // StartInstance on each connection in turn; the id works at once on every other connection.
    for (let i = 0; i < conns.length; i++) {
      const id = await startInstance(conns[i]!, 'pair');
      for (const k of conns) {
        const ev = await k.call('HandleEvent', { InstanceId: id, EventName: 'access' });
        const owner = ev.EventId % 2;
        if (!byWorker.get(owner)?.includes(k)) byWorker.set(owner, [...(byWorker.get(owner) ?? []), k]);
        await k.call('Step', { EventId: ev.EventId, Data: 'a' });
        await k.call('Step', { EventId: ev.EventId });
      }
    }
    assert.equal(byWorker.get(0)?.length, 3);
    assert.equal(byWorker.get(1)?.length, 3);
    for (const k of conns) assert.deepEqual(k.notifications, [[2, 'serverPid', process.pid]]);

    const before = (await conns[0]!.call('GetStatus')).Workers as { ForwardedSteps: number }[];
    const id = await startInstance(conns[0]!, 'pair');
    let hops = 0;
    for (const [owner, own] of byWorker) {
      const other = byWorker.get(1 - owner)!;
      for (let n = 0; n < 20; n++) {
        const ev = await own[n % 3]!.call('HandleEvent', { InstanceId: id, EventName: 'access' });
        assert.equal(ev.EventId % 2, owner, 'an event belongs to the worker its HandleEvent reached');
        const r = await other[n % 3]!.call('Step', { EventId: ev.EventId, Data: `v${n}` });
        assert.deepEqual(r.Data, { Method: 'kong.response.set_header', Args: ['x-pair', `v${n}`] });
        assert.equal((await other[(n + 1) % 3]!.call('Step', { EventId: ev.EventId })).Data, 'ret');
        hops += 2;
      }
    }
    const after = (await conns[0]!.call('GetStatus')).Workers as { ForwardedSteps: number }[];
    const forwarded =
      after.reduce((n, w) => n + w.ForwardedSteps, 0) - before.reduce((n, w) => n + w.ForwardedSteps, 0);
    assert.ok(forwarded >= hops, `${forwarded} forwarded of ${hops} hopping Steps`);
    assert.equal(await ts.events(), 0);
  } finally {
    await ts.close();
  }
});
