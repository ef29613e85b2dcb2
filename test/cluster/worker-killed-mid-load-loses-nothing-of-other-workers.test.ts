/**
 * Supervision: a worker killed with SIGKILL in the middle of a load run. The other worker's
 * events all finish, the dead worker's events get the "event lost" error (never the phrase
 * that makes Kong reset its instances), a replacement serves within a second, and every
 * instance Kong started answers under its id in every worker.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startInstance, startTestServer, type KongConnection, type Reply } from '../helpers/kong-client.js';
import { fixture } from '../helpers/paths.js';

const CONTRACT = /no plugin instance/i;

interface Outcome {
  owner: number;
  /** 'done': every reply right; 'lost': an RPC answered with the event-lost error; 'cut': an RPC's connection died. */
  result: 'done' | 'lost' | 'cut';
  errors: string[];
}

test('SIGKILL of a worker mid-load: no instance lost, no event of the other worker lost, replaced within a second', async () => {
  const ts = await startTestServer({}, fixture('cluster-plugins'), 2);
  try {
    const cluster = ts.cluster!;
    const c = await ts.connect();
    const ids = [await startInstance(c, 'pair'), await startInstance(c, 'pair'), await startInstance(c, 'pair')];
    // Events left waiting for their first Step on connections of both workers: a connection's
    // worker owns the events begun on it, and an event id's residue modulo 2 names the worker.
    const waiting: { eventId: number; owner: number }[] = [];
    const byWorker = new Map<number, KongConnection>();
    for (const k of await Promise.all(Array.from({ length: 8 }, () => ts.connect()))) {
      const ev = await k.call('HandleEvent', { InstanceId: ids[0], EventName: 'access' });
      waiting.push({ eventId: ev.EventId, owner: ev.EventId % 2 });
      byWorker.set(ev.EventId % 2, k);
    }
    assert.deepEqual([...byWorker.keys()].sort(), [0, 1], 'connections are spread over both workers');
    // Kong's keepalive pool: each RPC takes a free connection, one request at a time, and the
    // calls of one event hop between connections.
    const free: KongConnection[] = await Promise.all(Array.from({ length: 12 }, () => ts.connect()));
    const outcomes: Outcome[] = [];
    const contract: string[] = [];
    let stop = false;
    let seq = 0;

    /** One request on a free pooled connection; a connection that dies is replaced by a new one. */
    const rpc = async (method: string, param: unknown) => {
      const conn = free.splice(Math.floor(Math.random() * free.length), 1)[0]!;
      try {
        const r = await conn.request(`plugin.${method}`, [param]);
        free.push(conn);
        return r;
      } catch {
        if (!stop) free.push(await ts.connect());
        return undefined;
      }
    };

    const client = async () => {
      while (!stop) {
        const n = seq++;
        const inst = ids[n % ids.length]!;
        const ev = await rpc('HandleEvent', { InstanceId: inst, EventName: 'access' });
        if (!ev) continue; // its connection died before the event began
        if (ev.error !== null) {
          if (CONTRACT.test(ev.error)) contract.push(ev.error);
          outcomes.push({ owner: -1, result: 'lost', errors: [ev.error] });
          continue;
        }
        const eventId = ev.result.EventId as number;
        const o: Outcome = { owner: eventId % 2, result: 'done', errors: [] };
        outcomes.push(o);
        const steps: [unknown, (r: Reply) => boolean][] = [
          [`v${n}`, (r) => r.result?.Data?.Args?.[1] === `v${n}`],
          [undefined, (r) => r.result?.Data === 'ret'],
        ];
        for (const [data, ok] of steps) {
          const r = await rpc('Step', { EventId: eventId, Data: data });
          if (!r) {
            o.result = 'cut';
            break;
          }
          if (r.error !== null) {
            if (CONTRACT.test(r.error)) contract.push(r.error);
            o.result = 'lost';
            o.errors.push(r.error);
            break;
          }
          if (!ok(r)) {
            o.errors.push(`wrong reply ${JSON.stringify(r.result)}`);
            break;
          }
        }
      }
    };

    const clients = Array.from({ length: 4 }, () => client());
    await new Promise((r) => setTimeout(r, 400));
    const victim = cluster.workerPids()[0]!;
    const killedAt = Date.now();
    const before = outcomes.length;
    process.kill(victim, 'SIGKILL');
    // The replacement is up within a second.
    while (cluster.workerPids()[0] === victim && Date.now() - killedAt < 1000)
      await new Promise((r) => setTimeout(r, 2));
    await cluster.whenAllReady(Math.max(1, 1000 - (Date.now() - killedAt)));
    const replacedMs = Date.now() - killedAt;
    assert.notEqual(cluster.workerPids()[0], victim);
    await new Promise((r) => setTimeout(r, 400));
    stop = true;
    await Promise.all(clients);

    assert.ok(replacedMs < 1000, `replaced after ${replacedMs} ms`);
    assert.deepEqual(contract, [], 'no reply may make Kong reset its instances');
    assert.ok(outcomes.length > before + 50, `load went on after the kill (${outcomes.length - before} events)`);
    const survivor = outcomes.filter((o) => o.owner === 1);
    assert.ok(survivor.length > 100, `${survivor.length} events of the surviving worker`);
    // Every event of the surviving worker whose RPCs all found a live connection finished right.
    const broken = survivor.filter((o) => o.result !== 'cut' && (o.result !== 'done' || o.errors.length > 0));
    assert.deepEqual(broken, []);
    // The dead worker's events that went on were answered with the event-lost error.
    const lost = outcomes.filter((o) => o.result === 'lost');
    for (const o of lost)
      for (const e of o.errors) assert.match(e, /^event \d+ was lost: the worker process running it stopped$/);
    assert.deepEqual(
      outcomes.filter((o) => o.result === 'done' && o.errors.length > 0),
      [],
    );

    // The waiting events: the survivor's go on from any connection; the dead worker's are lost,
    // whichever worker the Step reaches (the survivor, or the dead worker's replacement).
    const live = byWorker.get(1)!;
    const fresh0 = await ts.connect();
    const fresh1 = await ts.connect();
    for (const w of waiting) {
      if (w.owner === 1) {
        const r = await fresh0.call('Step', { EventId: w.eventId, Data: 'late' });
        assert.deepEqual(r.Data.Args, ['x-pair', 'late']);
        assert.equal((await fresh1.call('Step', { EventId: w.eventId })).Data, 'ret');
      } else {
        for (const k of [live, fresh0, fresh1]) {
          const err = await k.callError('Step', { EventId: w.eventId, Data: 'late' });
          assert.equal(err, `event ${w.eventId} was lost: the worker process running it stopped`);
        }
      }
    }

    // Every instance answers in every worker under its id.
    const fresh = await Promise.all(Array.from({ length: 6 }, () => ts.connect()));
    for (const k of fresh)
      for (const id of ids) {
        const ev = await k.call('HandleEvent', { InstanceId: id, EventName: 'access' });
        await k.call('Step', { EventId: ev.EventId, Data: 'x' });
        assert.equal((await k.call('Step', { EventId: ev.EventId })).Data, 'ret');
      }
    const status = await fresh[0]!.call('GetStatus');
    assert.equal(status.Pid, process.pid);
    assert.deepEqual(status.Plugins.pair.Instances.map((i: { Id: number }) => i.Id).sort(), [...ids].sort());
    assert.equal(status.Workers[0].Restarts, 1);
    assert.equal(status.Workers[1].Restarts, 0);
    assert.ok(status.Workers[0].Pid !== victim && status.Workers[0].Ready);
  } finally {
    await ts.close();
  }
});
