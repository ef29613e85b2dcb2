/**
 * Lifecycle over a real socket: test/CONFORMANCE.md, cases 34 (orphaned events and the TTL sweep),
 * 35 (many concurrent connections and cycles), 40 (instance expiry), 41 (Kong's reset path)
 * and 46 (config change while an old event runs).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startInstance, startTestServer, type KongConnection, type TestServer } from '../helpers/kong-client.js';

/** An event reply's Data as these tests read it: a PDK call (or "ret", compared as a whole). */
type TestEventData = { Method: string; Args: unknown[] };

async function handle(
  conn: KongConnection,
  id: number,
  phase = 'access',
): Promise<{ EventId: number; Data: TestEventData }> {
  return conn.call('HandleEvent', { InstanceId: id, EventName: phase });
}

/** Runs `body` against a fresh server with `options`, closing it afterwards. */
async function withServer(
  options: Parameters<typeof startTestServer>[0],
  body: (ts: TestServer, c: KongConnection) => Promise<void>,
): Promise<void> {
  const ts = await startTestServer(options);
  try {
    await body(ts, await ts.connect());
  } finally {
    await ts.close();
  }
}

interface OrphanStats {
  started: number;
  answered: number;
  released: number;
  errors: Record<string, number>;
}

/** The orphan plugin's counters, summed over every process running it. */
async function orphanStats(ts: TestServer): Promise<OrphanStats> {
  const sum: OrphanStats = { started: 0, answered: 0, released: 0, errors: {} };
  for (const stats of await ts.pluginStatic<OrphanStats>('orphan', 'stats')) {
    sum.started += stats.started;
    sum.answered += stats.answered;
    sum.released += stats.released;
    for (const [k, v] of Object.entries(stats.errors)) sum.errors[k] = (sum.errors[k] ?? 0) + v;
  }
  return sum;
}

const tick = () => new Promise((r) => setImmediate(r));

describe('case 34: orphaned events', () => {
  test('an event Kong never steps again is freed by the sweep after the TTL; a later Step is an error', async () => {
    await withServer({ eventTtlMs: 50 }, async (ts, c) => {
      const id = await startInstance(c, 'echo');
      const ev = await handle(c, id);
      assert.equal(ev.Data.Method, 'kong.request.get_header');
      // Not yet: within the TTL nothing is freed.
      await ts.sweep(Date.now());
      assert.equal(await ts.events(), 1);
      await ts.sweep(Date.now() + 1000);
      assert.equal(await ts.events(), 0);
      const err = await c.callError('Step', { EventId: ev.EventId, Data: 'late' });
      assert.match(err, new RegExp(`no running event ${ev.EventId}`));
      assert.doesNotMatch(err, /no plugin instance/i);
      // The instance itself is untouched and serves the next request.
      assert.equal((await ts.instance(id))!.runningEvents, 0);
      const next = await handle(c, id);
      await c.call('Step', { EventId: next.EventId, Data: 'h' });
      assert.equal((await c.call('Step', { EventId: next.EventId })).Data, 'ret');
    });
  });

  test('the periodic sweep frees orphaned events on its own', async () => {
    await withServer({ eventTtlMs: 30, sweepIntervalMs: 20 }, async (ts, c) => {
      const id = await startInstance(c, 'echo');
      await handle(c, id);
      assert.equal(await ts.events(), 1);
      const deadline = Date.now() + 2000;
      while ((await ts.events()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.equal(await ts.events(), 0);
    });
  });

  test('10,000 orphaned events: all freed by one sweep and every suspended handler is released', async () => {
    await withServer({ eventTtlMs: 60_000, instanceIdleMs: 600_000 }, async (ts, c) => {
      const id = await startInstance(c, 'orphan');
      const before = await orphanStats(ts);
      const conns = await Promise.all(Array.from({ length: 50 }, () => ts.connect()));
      const eventIds = new Set<number>();
      await Promise.all(
        conns.map(async (k) => {
          for (let i = 0; i < 200; i++) {
            const ev = await handle(k, id);
            assert.deepEqual(ev.Data, { Method: 'kong.request.get_header', Args: ['x-never'] });
            eventIds.add(ev.EventId);
          }
          k.close();
        }),
      );
      assert.equal(eventIds.size, 10_000);
      assert.equal(await ts.events(), 10_000);
      assert.equal((await ts.instance(id))!.runningEvents, 10_000);
      assert.equal((await orphanStats(ts)).started - before.started, 10_000);
      assert.equal((await orphanStats(ts)).released - before.released, 0);

      // Within the TTL nothing goes; past it, everything does.
      assert.equal(await ts.sweepEvents(Date.now()), 0);
      await ts.sweep(Date.now() + 61_000);
      assert.equal(await ts.events(), 0);
      assert.equal((await ts.instance(id))!.runningEvents, 0);
      for (let i = 0; i < 5; i++) await tick();
      const after = await orphanStats(ts);
      assert.equal(after.released - before.released, 10_000);
      assert.equal(after.answered, before.answered);
      assert.equal((after.errors.EventEndedError ?? 0) - (before.errors.EventEndedError ?? 0), 10_000);
      // Still nothing is left to sweep, and the instance still serves.
      assert.equal(await ts.sweepEvents(Date.now() + 120_000), 0);
      const ev = await handle(c, id);
      assert.match(await c.callError('Step', { EventId: [...eventIds][0]! }), /no running event/);
      await c.call('Step', { EventId: ev.EventId, Data: 'finally' });
      assert.equal((await orphanStats(ts)).answered, before.answered + 1);
    });
  });
});

describe('case 35: concurrency', () => {
  test('200 connections × 50 full cycles over 5 instances of 3 plugins: all correct, no EventId cross-talk', async () => {
    await withServer({}, async (ts, c) => {
      const instances = [
        { kind: 'echo', id: await startInstance(c, 'echo', { message: 'one' }) },
        { kind: 'tag', tag: 'alpha', id: await startInstance(c, 'tag', { tag: 'alpha' }) },
        { kind: 'together', id: await startInstance(c, 'together') },
        { kind: 'tag', tag: 'beta', id: await startInstance(c, 'tag', { tag: 'beta' }) },
        { kind: 'echo', id: await startInstance(c, 'echo', { message: 'two' }) },
      ];
      const live = new Set<number>();
      let cycles = 0;
      const t0 = Date.now();
      const conns = await Promise.all(Array.from({ length: 200 }, () => ts.connect()));
      await Promise.all(
        conns.map(async (k, n) => {
          for (let i = 0; i < 50; i++) {
            const inst = instances[(n + i) % instances.length]!;
            const u = `${n}.${i}`;
            const ev = await handle(k, inst.id);
            const E = ev.EventId;
            assert.ok(!live.has(E), `EventId ${E} handed out twice at once`);
            live.add(E);
            const step = async (data?: unknown): Promise<{ EventId: number; Data: TestEventData }> => {
              const r = await k.call('Step', data === undefined ? { EventId: E } : { EventId: E, Data: data });
              assert.equal(r.EventId, E);
              return r.Data;
            };
            if (inst.kind === 'echo') {
              assert.deepEqual(ev.Data, { Method: 'kong.request.get_header', Args: ['host'] });
              assert.deepEqual(await step(u), { Method: 'kong.response.set_header', Args: ['x-echo', u] });
            } else if (inst.kind === 'tag') {
              assert.deepEqual(ev.Data, { Method: 'kong.request.get_header', Args: ['x-id'] });
              assert.deepEqual(await step(u), {
                Method: 'kong.response.set_header',
                Args: ['x-tag', `${inst.tag}:${u}`],
              });
            } else {
              assert.deepEqual(ev.Data, { Method: 'kong.request.get_header', Args: ['a'] });
              assert.deepEqual(await step(`${u}a`), { Method: 'kong.request.get_header', Args: ['b'] });
              assert.deepEqual(await step(`${u}b`), { Method: 'kong.response.set_header', Args: ['x-one', '1'] });
              assert.deepEqual(await step(), { Method: 'kong.response.set_header', Args: ['x-ab', `${u}a+${u}b`] });
            }
            live.delete(E);
            assert.equal(await step(), 'ret');
            cycles++;
          }
        }),
      );
      const elapsed = Date.now() - t0;
      assert.equal(cycles, 10_000);
      assert.equal(await ts.events(), 0);
      for (const inst of instances) assert.equal((await ts.instance(inst.id))!.runningEvents, 0);
      // About 1.5 s alone; the bound only catches a pathological slowdown (files run in parallel).
      assert.ok(elapsed < 15_000, `10,000 cycles took ${elapsed} ms`);
    });
  });
});

describe('case 40: instance expiry', () => {
  test('an idle instance is removed by the sweep; then it is "No plugin instance <id>"', async () => {
    await withServer({ instanceIdleMs: 50 }, async (ts, c) => {
      const id = await startInstance(c, 'noop');
      await ts.sweep(Date.now() + 10); // not idle long enough
      assert.equal((await c.call('InstanceStatus', id)).Id, id);
      await ts.sweep(Date.now() + 1000);
      assert.equal(
        await c.callError('HandleEvent', { InstanceId: id, EventName: 'access' }),
        `No plugin instance ${id}`,
      );
      assert.equal(await c.callError('InstanceStatus', id), `No plugin instance ${id}`);
    });
  });

  test('an instance with an event in flight is not removed; once the event ends it can expire', async () => {
    await withServer({ instanceIdleMs: 50, eventTtlMs: 60_000 }, async (ts, c) => {
      const id = await startInstance(c, 'echo');
      const ev = await handle(c, id);
      await ts.sweep(Date.now() + 10_000);
      assert.equal((await c.call('InstanceStatus', id)).Id, id);
      assert.deepEqual((await c.call('Step', { EventId: ev.EventId, Data: 'h' })).Data.Args, ['x-echo', 'h']);
      await ts.sweep(Date.now() + 10_000);
      assert.equal((await c.call('InstanceStatus', id)).Id, id);
      assert.equal((await c.call('Step', { EventId: ev.EventId })).Data, 'ret');
      await ts.sweep(Date.now() + 10_000);
      assert.equal(await c.callError('InstanceStatus', id), `No plugin instance ${id}`);
    });
  });

  test('the periodic sweep expires idle instances on its own', async () => {
    await withServer({ instanceIdleMs: 30, sweepIntervalMs: 20 }, async (ts, c) => {
      const id = await startInstance(c, 'noop');
      const deadline = Date.now() + 2000;
      while ((await ts.instance(id)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.equal(await c.callError('InstanceStatus', id), `No plugin instance ${id}`);
    });
  });
});

/**
 * Kong's side of one plugin run (plugin.lua get_instance_id + mp_rpc handle_event): reuse the
 * cached id, start an instance when there is none, and on an error containing "no plugin
 * instance" forget the id and run the whole event again. Returns the RPCs it made.
 */
async function kongRunEvent(
  k: KongConnection,
  cache: { id?: number },
  name: string,
  config: Record<string, unknown>,
  answer: (data: TestEventData) => unknown,
): Promise<string[]> {
  const log: string[] = [];
  for (let attempt = 0; attempt < 3; attempt++) {
    if (cache.id === undefined) {
      cache.id = (await k.call('StartInstance', { Name: name, Config: JSON.stringify(config) })).Id as number;
      log.push('StartInstance');
    }
    const r = await k.request('plugin.HandleEvent', [{ InstanceId: cache.id, EventName: 'access' }]);
    if (r.error !== null) {
      log.push(`HandleEvent error: ${r.error}`);
      // Kong 2.5+ lower-cases the error; 2.3–2.4 matched "No plugin instance" as is: both must match.
      if (r.error.toLowerCase().includes('no plugin instance') && r.error.includes('No plugin instance')) {
        delete cache.id;
        continue;
      }
      return log;
    }
    log.push('HandleEvent');
    let data = r.result.Data;
    const eventId = r.result.EventId as number;
    while (data !== 'ret') {
      const v = answer(data);
      data = (await k.call('Step', v === undefined ? { EventId: eventId } : { EventId: eventId, Data: v })).Data;
      log.push('Step');
    }
    return log;
  }
  throw new Error(`Kong would loop: ${JSON.stringify(log)}`);
}

describe('case 41: Kong reset path', () => {
  test('HandleEvent on a closed id → "No plugin instance" → StartInstance → HandleEvent works', async () => {
    await withServer({}, async (ts, c) => {
      const cache: { id?: number } = {};
      const answer = (d: TestEventData) => (d.Method === 'kong.request.get_header' ? 'h' : undefined);
      assert.deepEqual(await kongRunEvent(c, cache, 'echo', { message: 'x' }, answer), [
        'StartInstance',
        'HandleEvent',
        'Step',
        'Step',
      ]);
      const old = cache.id!;
      await c.call('CloseInstance', old);
      const log = await kongRunEvent(c, cache, 'echo', { message: 'x' }, answer);
      assert.deepEqual(log, [
        `HandleEvent error: No plugin instance ${old}`,
        'StartInstance',
        'HandleEvent',
        'Step',
        'Step',
      ]);
      assert.notEqual(cache.id, old);
      // The fresh id is never reported unknown.
      assert.deepEqual(await kongRunEvent(c, cache, 'echo', { message: 'x' }, answer), ['HandleEvent', 'Step', 'Step']);
      assert.equal(await ts.events(), 0);
    });
  });

  test('the same recovery after the server expired the instance', async () => {
    await withServer({ instanceIdleMs: 50 }, async (ts, c) => {
      const cache: { id?: number } = {};
      await kongRunEvent(c, cache, 'noop', {}, () => undefined);
      const old = cache.id!;
      await ts.sweep(Date.now() + 1000);
      assert.deepEqual(await kongRunEvent(c, cache, 'noop', {}, () => undefined), [
        `HandleEvent error: No plugin instance ${old}`,
        'StartInstance',
        'HandleEvent',
      ]);
    });
  });
});

describe('case 46: config change', () => {
  test('StartInstance(new), CloseInstance(old) while an old event waits: the old event completes with the old config', async () => {
    await withServer({}, async (ts, c) => {
      const k2 = await ts.connect();
      const oldId = await startInstance(c, 'tag', { tag: 'old' });
      const oldEv = await handle(c, oldId);
      assert.deepEqual(oldEv.Data, { Method: 'kong.request.get_header', Args: ['x-id'] });

      const newId = await startInstance(k2, 'tag', { tag: 'new' });
      const closed = await k2.call('CloseInstance', oldId);
      assert.equal(closed.Id, oldId);
      assert.deepEqual(closed.Config, { tag: 'old' });
      // The closed id is gone for new events...
      assert.equal(
        await k2.callError('HandleEvent', { InstanceId: oldId, EventName: 'access' }),
        `No plugin instance ${oldId}`,
      );
      // ...but its running event finishes normally, with the old configuration.
      assert.deepEqual((await c.call('Step', { EventId: oldEv.EventId, Data: 'r1' })).Data, {
        Method: 'kong.response.set_header',
        Args: ['x-tag', 'old:r1'],
      });
      assert.equal((await c.call('Step', { EventId: oldEv.EventId })).Data, 'ret');

      const newEv = await handle(k2, newId);
      assert.deepEqual((await k2.call('Step', { EventId: newEv.EventId, Data: 'r2' })).Data.Args, ['x-tag', 'new:r2']);
      assert.equal((await k2.call('Step', { EventId: newEv.EventId })).Data, 'ret');
      assert.equal(await ts.events(), 0);
      assert.equal(await c.callError('InstanceStatus', oldId), `No plugin instance ${oldId}`);
    });
  });

  test('CloseInstance while the old handler is busy (mid-Step) does not cut it short', async () => {
    await withServer({}, async (ts, c) => {
      const k2 = await ts.connect();
      const oldId = await startInstance(c, 'slow');
      const ev = await handle(c, oldId);
      // The Step makes the handler sleep 50 ms before its next call; close the instance meanwhile.
      const pending = c.call('Step', { EventId: ev.EventId, Data: 'v' });
      await new Promise((r) => setTimeout(r, 10));
      await startInstance(k2, 'slow');
      await k2.call('CloseInstance', oldId);
      await ts.sweep(Date.now() + 1000); // an instance sweep meanwhile changes nothing for it
      assert.deepEqual((await pending).Data, { Method: 'kong.response.set_header', Args: ['x-seen', 'v'] });
      assert.equal((await c.call('Step', { EventId: ev.EventId })).Data, 'ret');
      assert.equal(await ts.events(), 0);
    });
  });
});
