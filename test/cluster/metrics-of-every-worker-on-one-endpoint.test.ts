/**
 * Metrics with workers: the primary's one /metrics endpoint merges every worker's registry (the
 * events of both workers add up) and adds its own series (workers serving, forwarded Steps).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { startInstance, startTestServer } from '../helpers/kong-client.js';
import { fixture } from '../helpers/paths.js';

function scrape(socketPath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ socketPath, path: '/metrics' }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

function sample(text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

test('one /metrics for every worker: events add up over the workers, the primary adds its own series', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kts-metrics-'));
  const sock = path.join(dir, 'm.sock');
  const ts = await startTestServer({ metricsListen: `unix:${sock}` }, fixture('cluster-plugins'), 2);
  try {
    const conns = await Promise.all(Array.from({ length: 4 }, () => ts.connect()));
    const id = await startInstance(conns[0]!, 'pair');
    const owners = new Set<number>();
    for (let n = 0; n < 20; n++) {
      const ev = await conns[n % 4]!.call('HandleEvent', { InstanceId: id, EventName: 'access' });
      owners.add(ev.EventId % 2);
      await conns[(n + 1) % 4]!.call('Step', { EventId: ev.EventId, Data: 'x' });
      assert.equal((await conns[(n + 2) % 4]!.call('Step', { EventId: ev.EventId })).Data, 'ret');
    }
    assert.equal(owners.size, 2, 'both workers ran events');
    await new Promise((r) => setTimeout(r, 400)); // a heartbeat brings the forwarded count
    const text = await scrape(sock);
    assert.equal(sample(text, 'kong_ts_events_total', 'plugin="pair",phase="access",outcome="ret"'), 20);
    assert.equal(sample(text, 'kong_ts_workers_ready'), 2);
    assert.ok((sample(text, 'kong_ts_forwarded_steps_total') ?? 0) > 0, 'forwarded Steps counted');
    assert.equal(sample(text, 'kong_ts_worker_restarts_total', 'reason="died"'), 0);
  } finally {
    await ts.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
