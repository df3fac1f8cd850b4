import assert from 'node:assert/strict';
import { cpSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { sqliteFile } from '../../lib/search/search-index.js';
import { INSTALL_DIR } from '../../lib/version.js';
import { loadYaml, tempDir } from '../support/config.js';
import { startTestServer, type TestServer } from '../support/server.js';

const Database = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;

function searchConfig(storage: string, db: string, extra = '') {
  return loadYaml(
    `t:\n  storage_path: ${storage}\n  standalone: true\n  loglevel: error\n  search_backend: sqlalchemy\n  sqlalchemy_index_database: sqlite:///${db}\n${extra}`,
    't',
  ).config;
}

async function search(url: string, q: string) {
  const res = await fetch(`${url}/v1/search?q=${encodeURIComponent(q)}`);
  assert.equal(res.status, 200);
  return (await res.json()) as {
    num_results: number;
    query: string;
    results: Array<{ name: string; description: string; star_count: number; is_official: boolean }>;
  };
}

async function waitFor(check: () => Promise<boolean>) {
  for (let i = 0; i < 100 && !(await check()); i++) await new Promise((r) => setTimeout(r, 50));
}

describe('V1 search (embedded SQLite)', () => {
  let srv: TestServer;
  const id = 'ab'.repeat(32);
  before(async () => {
    srv = await startTestServer(searchConfig(tempDir(), path.join(tempDir(), 'search.db')));
    await fetch(`${srv.url}/v1/images/${id}/json`, { method: 'PUT', body: `{"id": "${id}"}` });
  });
  after(() => srv.stop());

  it('finds a repository as soon as it is tagged, in the shape docker search expects', async () => {
    assert.equal((await fetch(`${srv.url}/v1/repositories/ns/webapp/tags/latest`, { method: 'PUT', body: `"${id}"` })).status, 200);
    assert.equal((await fetch(`${srv.url}/v1/repositories/ns/database/tags/latest`, { method: 'PUT', body: `"${id}"` })).status, 200);
    const found = await search(srv.url, 'web');
    assert.deepEqual(found, {
      num_results: 1,
      query: 'web',
      results: [{ description: '', is_official: false, is_trusted: false, name: 'ns/webapp', star_count: 0 }],
    });
    assert.equal((await search(srv.url, '')).num_results, 2);
    assert.equal((await search(srv.url, 'WEB')).num_results, 1, 'case-insensitive, as SQLite LIKE');
  });

  it('treats % and _ in the query literally', async () => {
    assert.equal((await search(srv.url, '%')).num_results, 0);
    assert.equal((await search(srv.url, '_')).num_results, 0);
  });

  it('forgets a deleted repository', async () => {
    assert.equal((await fetch(`${srv.url}/v1/repositories/ns/database/`, { method: 'DELETE' })).status, 200);
    assert.deepEqual(
      (await search(srv.url, '')).results.map((r) => r.name),
      ['ns/webapp'],
    );
  });

  it('a repository created through the index is found before it has tags', async () => {
    assert.equal((await fetch(`${srv.url}/v1/repositories/ns/fresh/`, { method: 'PUT', body: '[]' })).status, 200);
    assert.equal((await search(srv.url, 'fresh')).num_results, 1);
  });
});

describe('V1 search index sources', () => {
  it('is rebuilt from a store the Python registry wrote', async () => {
    const copy = tempDir('berth-search-legacy-');
    cpSync(path.join(INSTALL_DIR, 'test/fixtures/registry/0.9'), copy, { recursive: true });
    const srv = await startTestServer(searchConfig(copy, path.join(tempDir(), 'new.db')));
    try {
      await waitFor(async () => (await search(srv.url, '')).num_results > 0);
      assert.deepEqual(
        (await search(srv.url, '')).results.map((r) => r.name),
        ['library/busybox', 'ns/my+repo', 'ns/repo'],
      );
    } finally {
      await srv.stop();
    }
  });

  it("reuses the old registry's database file as it is", async () => {
    const db = path.join(tempDir(), 'docker-registry.db');
    const old = new Database(db);
    old.exec(`CREATE TABLE version (id INTEGER NOT NULL, PRIMARY KEY (id));
              INSERT INTO version VALUES (1);
              CREATE TABLE repository (id INTEGER NOT NULL, name VARCHAR(95) NOT NULL, description VARCHAR(100), PRIMARY KEY (id), UNIQUE (name));
              INSERT INTO repository (name, description) VALUES ('old/app', 'from the Python registry');`);
    old.close();
    const srv = await startTestServer(searchConfig(tempDir(), db));
    try {
      const found = await search(srv.url, 'Python');
      assert.deepEqual(
        found.results.map((r) => [r.name, r.description]),
        [['old/app', 'from the Python registry']],
      );
    } finally {
      await srv.stop();
    }
  });

  it('without search_backend there is no /v1/search, as in docker-registry 0.9', async () => {
    const srv = await startTestServer(loadYaml(`t:\n  storage_path: ${tempDir()}\n  loglevel: error\n`, 't').config);
    try {
      assert.equal((await fetch(`${srv.url}/v1/search?q=x`)).status, 404);
    } finally {
      await srv.stop();
    }
  });

  it('config mistakes name the key', async () => {
    const elastic = loadYaml(`t:\n  storage_path: ${tempDir()}\n  search_backend: elastic\n`, 't').config;
    await assert.rejects(startTestServer(elastic), /t\.search_backend: unsupported search backend "elastic"/);
    const postgres = loadYaml(
      `t:\n  storage_path: ${tempDir()}\n  search_backend: sqlalchemy\n  sqlalchemy_index_database: postgresql://db/registry\n`,
      't',
    ).config;
    await assert.rejects(startTestServer(postgres), /t\.sqlalchemy_index_database: only sqlite URLs are supported/);
  });

  it('reads sqlite URLs as SQLAlchemy did', () => {
    assert.equal(sqliteFile('sqlite:////tmp/docker-registry.db'), '/tmp/docker-registry.db');
    assert.equal(sqliteFile('sqlite:///rel.db'), path.resolve('rel.db'));
    assert.equal(sqliteFile('sqlite://'), ':memory:');
    assert.equal(sqliteFile('mysql://x'), null);
  });
});
