/**
 * The client activity record: bounded however much it is told, and one view across worker
 * processes (each writes its own file on real local storage; any of them reads them all).
 */
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { createMetrics } from '../../../lib/metrics/registry.js';
import { ActivityRecord } from '../../../lib/services/activity/activity-record.js';
import { type ClientEntry, mergeActivity } from '../../../lib/services/activity/client-activity.js';
import type { StorageDriver } from '../../../lib/storage/driver.js';
import { createStorage } from '../../../lib/storage/factory.js';
import { tempDir, testConfig } from '../../support/config.js';
import { silentLogger } from '../../support/server.js';

const DAY = 24 * 3600 * 1000;
const NOW = Date.UTC(2026, 11, 7, 12);
const limits = { clients: 50, repositoriesPerClient: 5, maxAgeMs: 30 * DAY };

function storageAt(root: string): StorageDriver {
  return createStorage(testConfig('', {}, root), { metrics: createMetrics(false) });
}

const seen = (agent: string, repository: string | null, protocol: 'v1' | 'v2' = 'v1', action: 'pull' | 'push' = 'pull') => ({
  protocol,
  agent,
  address: '192.0.2.7',
  repository,
  action,
});

describe('client activity record', () => {
  let root: string;
  let storage: StorageDriver;
  beforeEach(() => {
    root = tempDir('berth-activity-');
    storage = storageAt(root);
  });
  afterEach(() => storage.close());

  it('stays bounded: 10,000 clients over 100 repositories each keep at most the limits, the most recent kept', async () => {
    const record = new ActivityRecord(storage, silentLogger(), { recordAddresses: false, writer: 'w1', limits });
    for (let i = 0; i < 10_000; i++) {
      for (let r = 0; r < 3; r++) record.note(seen(`docker/1.${i}`, `ns/repo${(i + r) % 100}`), NOW - 10_000 + i);
    }
    await record.flush(NOW);
    const clients = await record.read(NOW);
    assert.equal(clients.length, 50);
    assert.equal(clients[0]?.agent, 'docker/1.9999', 'the most recent first');
    assert.ok(clients.every((c) => c.repositories.length <= 5));
    const file = path.join(root, 'berth', 'activity', 'w1.json');
    assert.ok(statSync(file).size < 50 * 5 * 200, `the file is small (${statSync(file).size} bytes)`);
    // A second flush with as much again does not grow it.
    for (let i = 0; i < 10_000; i++) record.note(seen(`skopeo/${i}`, `ns/other${i % 100}`, 'v2'), NOW + i);
    await record.flush(NOW + 10_000);
    assert.equal((await record.read(NOW + 10_000)).length, 50);
    assert.ok(statSync(file).size < 50 * 5 * 200);
  });

  it('keeps no address unless told to, and cuts a long User-Agent', async () => {
    const off = new ActivityRecord(storage, silentLogger(), { recordAddresses: false, writer: 'off' });
    off.note(seen('x'.repeat(1000), 'a/b'), NOW);
    await off.flush(NOW);
    const on = new ActivityRecord(storage, silentLogger(), { recordAddresses: true, writer: 'on' });
    on.note(seen('y', 'a/b'), NOW);
    await on.flush(NOW);
    const all = await on.read(NOW);
    assert.equal(all.find((c) => c.agent.startsWith('x'))?.address, undefined);
    assert.equal(all.find((c) => c.agent.startsWith('x'))?.agent.length, 200);
    assert.equal(all.find((c) => c.agent === 'y')?.address, '192.0.2.7');
  });

  it('drops what is older than 30 days', async () => {
    const record = new ActivityRecord(storage, silentLogger(), { recordAddresses: false, writer: 'w' });
    record.note(seen('old', 'a/b'), NOW - 31 * DAY);
    record.note(seen('new', 'a/b'), NOW - 29 * DAY);
    await record.flush(NOW);
    assert.deepEqual(
      (await record.read(NOW)).map((c) => c.agent),
      ['new'],
    );
  });

  it('merges across workers: each writes its own file, any of them (and a fresh process) reads them all', async () => {
    const a = new ActivityRecord(storage, silentLogger(), { recordAddresses: false, writer: 'a' });
    const b = new ActivityRecord(storageAt(root), silentLogger(), { recordAddresses: false, writer: 'b' });
    a.note(seen('docker/1.5.0', 'ns/app'), NOW - 2000);
    b.note(seen('docker/1.5.0', 'ns/app', 'v1', 'push'), NOW - 1000);
    b.note(seen('containerd/1.7', 'ns/app', 'v2'), NOW - 500);
    await Promise.all([a.flush(NOW), b.flush(NOW)]);
    assert.deepEqual(readdirSync(path.join(root, 'berth', 'activity')).sort(), ['a.json', 'b.json']);
    for (const reader of [a, b, new ActivityRecord(storageAt(root), silentLogger(), { recordAddresses: false, writer: 'c' })]) {
      const clients = await reader.read(NOW);
      assert.deepEqual(
        clients.map((c) => [c.protocol, c.agent, c.last, c.repositories.map((u) => `${u.action} ${u.name}`)]),
        [
          ['v2', 'containerd/1.7', NOW - 500, ['pull ns/app']],
          ['v1', 'docker/1.5.0', NOW - 1000, ['push ns/app', 'pull ns/app']],
        ],
      );
    }
  });

  it('absorbs the file of a writer that is gone, and nothing is lost or counted twice when it comes back', async () => {
    const gone = new ActivityRecord(storage, silentLogger(), { recordAddresses: false, writer: 'gone' });
    gone.note(seen('docker/1.3.0', 'ns/old'), NOW - 5000);
    await gone.flush(NOW);
    const live = new ActivityRecord(storageAt(root), silentLogger(), { recordAddresses: false, writer: 'live', staleMs: 0 });
    live.note(seen('podman/4.3', 'ns/new', 'v2'), NOW - 100);
    // staleMs 0: every other file is stale by now (its mtime is the real clock's).
    await live.flush(Date.now() + 1000);
    assert.deepEqual(readdirSync(path.join(root, 'berth', 'activity')), ['live.json']);
    // The absorbed writer was only idle: it writes again, holding what it wrote before.
    gone.note(seen('docker/1.3.0', 'ns/old'), NOW - 50);
    await gone.flush(NOW);
    const clients = await live.read(NOW);
    assert.deepEqual(
      clients.map((c) => [c.agent, c.last, c.repositories.length]),
      [
        ['docker/1.3.0', NOW - 50, 1],
        ['podman/4.3', NOW - 100, 1],
      ],
    );
  });

  it('the merge is order-free and idempotent (what lets any worker merge any files)', () => {
    const mk = (agent: string, last: number, repos: string[]): ClientEntry => ({
      protocol: 'v1',
      agent,
      last,
      repositories: repos.map((name, i) => ({ name, action: 'pull', last: last - i })),
    });
    const x = [mk('a', NOW - 10, ['r1', 'r2', 'r3']), mk('b', NOW - 20, ['r1'])];
    const y = [mk('a', NOW - 5, ['r4', 'r5', 'r6']), mk('c', NOW - 30, ['r9'])];
    const small = { clients: 2, repositoriesPerClient: 4, maxAgeMs: DAY };
    const xy = mergeActivity([x, y], NOW, small);
    assert.deepEqual(mergeActivity([y, x], NOW, small), xy);
    assert.deepEqual(mergeActivity([xy, x, y], NOW, small), xy);
    assert.deepEqual(
      xy.map((c) => [c.agent, c.repositories.map((u) => u.name)]),
      [
        ['a', ['r4', 'r5', 'r6', 'r1']],
        ['b', ['r1']],
      ],
    );
  });
});
