/**
 * V1 index emulation over real HTTP (docker/docker-registry `docker_registry/index.py`): the
 * user routes `docker login` drives in standalone mode, and none of them outside it, where
 * image and repository routes ask for an index token (`docker_registry/toolkit.py` `requires_auth`).
 * The repository image lists of a push and a pull are replayed in v1-replay.test.ts.
 */
import assert from 'node:assert/strict';
import { loadYaml, tempDir } from '../support/config.js';
import { startTestServer } from '../support/server.js';
import { v1Suite } from '../support/v1-client.js';

describe('V1 standalone index', () => {
  const suite = v1Suite();

  it('docker login against a standalone registry', async () => {
    assert.equal((await suite.call('POST', '/v1/users/', { body: '{"username":"u","password":"p","email":"e"}' })).status, 201);
    assert.equal((await suite.call('GET', '/v1/users/')).body.toString(), '"OK"');
    assert.equal((await suite.call('PUT', '/v1/users/u/')).status, 204);
  });
});

describe('V1 token mode (standalone: false)', () => {
  it('refuses image and repository routes with 401 and WWW-Authenticate: Token', async () => {
    const srv = await startTestServer(loadYaml(`t:\n  storage_path: ${tempDir()}\n  standalone: false\n  loglevel: error\n`, 't').config);
    try {
      const res = await fetch(`${srv.url}/v1/images/${'a'.repeat(64)}/json`);
      assert.equal(res.status, 401);
      assert.equal(res.headers.get('www-authenticate'), 'Token');
      assert.deepEqual(await res.json(), { error: 'Requires authorization' });
      assert.equal((await fetch(`${srv.url}/v1/users/`)).status, 404, 'no index emulation outside standalone mode');
    } finally {
      await srv.stop();
    }
  });
});
