/**
 * contrib/Dockerfile cannot be built here (no Docker daemon in the test runs), so its promises
 * are read from the text: the base, a user that is not root, the prod flavor, `node dist`, and
 * every file it copies from the repository exists and is let through its .dockerignore.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { INSTALL_DIR } from '../../lib/version.js';

const text = (file: string) => readFileSync(path.join(INSTALL_DIR, file), 'utf8');

describe('contrib/Dockerfile', () => {
  const dockerfile = text('contrib/Dockerfile');
  const instructions = dockerfile.split('\n').filter((l) => /^[A-Z]+ /.test(l));

  it('node:20-slim, a user of its own, SETTINGS_FLAVOR=prod, CMD ["node", "dist"]', () => {
    assert.ok(instructions.filter((l) => l.startsWith('FROM ')).every((l) => /^FROM node:20-slim\b/.test(l)));
    const user = instructions.filter((l) => l.startsWith('USER ')).at(-1);
    assert.ok(user && !/\broot\b|\b0\b/.test(user), `runs as ${user}`);
    assert.match(dockerfile, /SETTINGS_FLAVOR=prod/);
    assert.equal(instructions.at(-1), 'CMD ["node", "dist"]');
  });

  it('what it copies from the repository exists and passes its .dockerignore', () => {
    const allowed = text('contrib/Dockerfile.dockerignore')
      .split('\n')
      .filter((l) => l.startsWith('!'))
      .map((l) => l.slice(1).replace(/\/\*\*$/, ''));
    const sources = instructions.filter((l) => l.startsWith('COPY ') && !l.includes('--from=')).flatMap((l) => l.split(/\s+/).slice(1, -1));
    assert.ok(sources.length > 4);
    for (const source of sources) {
      assert.ok(existsSync(path.join(INSTALL_DIR, source)), `${source} exists`);
      assert.ok(allowed.includes(source), `${source} is in the build context`);
    }
  });
});
