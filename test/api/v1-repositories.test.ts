/**
 * V1 tags and repositories over real HTTP (docker/docker-registry `docker_registry/tags.py`):
 * bad input gets the old status and message and leaves what is stored as it was; tag and
 * repository deletes, the private flag, and the `library` namespace of one-part names.
 */
import assert from 'node:assert/strict';
import { type BadInput, itAnswersV1Errors, v1Suite } from '../support/v1-client.js';

describe('V1 tags and repositories: bad input leaves stored data as it was', () => {
  const E = 'e'.repeat(64);
  const suite = v1Suite(E);

  const cases: BadInput[] = [
    ['a tag on a missing image', 'PUT', '/v1/repositories/ns/bad/tags/latest', { body: `"${'5'.repeat(64)}"` }, 404, 'Image not found'],
    ['a tag body that is not a JSON string', 'PUT', '/v1/repositories/ns/bad/tags/latest', { body: '{"id": 1}' }, 400, 'Invalid data'],
    ['an invalid tag name', 'PUT', '/v1/repositories/ns/bad/tags/-bad', { body: `"${E}"` }, 400, 'Invalid tag name (must match ^[\\w][\\w.-]{0,127}$)'],
    ['tags of an unknown repository', 'GET', '/v1/repositories/ns/nothing/tags', {}, 404, 'Repository not found'],
    ['an unknown tag', 'GET', '/v1/repositories/ns/nothing/tags/x', {}, 404, 'Tag not found'],
    ['deleting an unknown tag', 'DELETE', '/v1/repositories/ns/nothing/tags/x', {}, 404, 'Tag not found: x'],
  ];
  itAnswersV1Errors(() => suite.call, cases);

  it('deletes a tag, then the repository', async () => {
    assert.equal((await suite.call('PUT', '/v1/repositories/ns/del/tags/latest', { body: `"${E}"` })).status, 200);
    assert.equal((await suite.call('PUT', '/v1/repositories/ns/del/tags/old', { body: `"${E}"` })).status, 200);
    assert.equal((await suite.call('DELETE', '/v1/repositories/ns/del/tags/latest')).status, 200);
    assert.deepEqual(JSON.parse((await suite.call('GET', '/v1/repositories/ns/del/tags')).body.toString()), { old: E });
    assert.equal((await suite.call('DELETE', '/v1/repositories/ns/del/')).status, 200);
    assert.equal((await suite.call('GET', '/v1/repositories/ns/del/tags')).status, 404);
    assert.equal((await suite.call('GET', `/v1/images/${E}/json`)).status, 200, 'images are never deleted with a repository');
  });

  it('repository properties: the private flag', async () => {
    assert.deepEqual(JSON.parse((await suite.call('GET', '/v1/repositories/ns/props/properties')).body.toString()), { access: 'public' });
    assert.equal((await suite.call('PUT', '/v1/repositories/ns/props/properties', { body: '{"access": "private"}' })).status, 200);
    assert.equal((await suite.srv.deps.storage.getContent('repositories/ns/props/_private')).length, 0);
    assert.deepEqual(JSON.parse((await suite.call('GET', '/v1/repositories/ns/props/properties')).body.toString()), { access: 'private' });
    assert.equal((await suite.call('PUT', '/v1/repositories/ns/props/properties', { body: '{"access": "public"}' })).status, 200);
    assert.deepEqual(JSON.parse((await suite.call('GET', '/v1/repositories/ns/props/properties')).body.toString()), { access: 'public' });
    const bad = await suite.call('PUT', '/v1/repositories/ns/props/properties', { body: '[]' });
    assert.equal(bad.status, 400);
  });

  it('setting the private flag while the repository is deleted is never a 500 (it waits for the delete, as tag writes do)', async () => {
    const statuses = new Set<number>();
    for (let round = 0; round < 15; round++) {
      const repo = `/v1/repositories/race/r${round}`;
      assert.equal((await suite.call('PUT', `${repo}/tags/latest`, { body: `"${E}"` })).status, 200);
      const answers = await Promise.all([
        ...Array.from({ length: 4 }, () => suite.call('PUT', `${repo}/properties`, { body: '{"access": "private"}' })),
        suite.call('DELETE', `${repo}/`),
      ]);
      for (const a of answers) statuses.add(a.status);
      for (const a of answers) assert.ok(a.status < 500, `${a.status}: ${a.body.toString()}`);
    }
    assert.ok(statuses.has(200));
  });

  it('a one-part name lives in the library namespace', async () => {
    assert.equal((await suite.call('PUT', '/v1/repositories/ubuntu/tags/14.04', { body: `"${E}"` })).status, 200);
    assert.deepEqual(JSON.parse((await suite.call('GET', '/v1/repositories/library/ubuntu/tags')).body.toString()), { '14.04': E });
  });
});
