/**
 * The CLI with --workers 2: the workers are children of the process Kong started and never
 * outlive it, whether it stops on SIGTERM (socket removed) or is killed outright.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SERVER_BIN, tempDir } from '../helpers/cli.js';
import { KongConnection } from '../helpers/kong-client.js';
import { fixture } from '../helpers/paths.js';

async function startWithWorkers(
  prefix: string,
): Promise<{ child: import('node:child_process').ChildProcess; sock: string }> {
  const { spawn } = await import('node:child_process');
  const sock = path.join(prefix, 'w.sock');
  const child = spawn(
    process.execPath,
    [SERVER_BIN, '-d', fixture('cluster-plugins'), '-p', prefix, '--sock-name', 'w.sock', '--workers', '2'],
    {
      stdio: 'ignore',
    },
  );
  const deadline = Date.now() + 10_000;
  while (!fs.existsSync(sock)) {
    if (Date.now() > deadline) throw new Error('the server did not listen');
    await new Promise((r) => setTimeout(r, 25));
  }
  return { child, sock };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function gone(pids: number[], ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (pids.some(alive)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

async function workerPids(sock: string, primary: number): Promise<number[]> {
  const c = await KongConnection.open(sock);
  const status = await c.call('GetStatus');
  c.close();
  assert.equal(status.Pid, primary);
  assert.deepEqual(c.notifications, [[2, 'serverPid', primary]]);
  const pids = (status.Workers as { Pid: number }[]).map((w) => w.Pid);
  assert.equal(pids.length, 2);
  for (const p of pids) assert.ok(alive(p) && p !== primary);
  return pids;
}

test('SIGTERM to the primary stops its workers and removes the socket within a second', async () => {
  const { child, sock } = await startWithWorkers(tempDir());
  const pids = await workerPids(sock, child.pid!);
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const t0 = Date.now();
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
  assert.ok(await gone(pids, 1000), 'workers still running');
  assert.ok(Date.now() - t0 < 1500, `took ${Date.now() - t0} ms`);
  assert.equal(fs.existsSync(sock), false);
});

test('a primary killed with SIGKILL takes its workers with it', async () => {
  const { child, sock } = await startWithWorkers(tempDir());
  const pids = await workerPids(sock, child.pid!);
  child.kill('SIGKILL');
  assert.ok(await gone(pids, 2000), 'workers outlived their primary');
});
