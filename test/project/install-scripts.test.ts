/**
 * npm 11.16+ lists dependencies whose install scripts are not reviewed in package.json's
 * `allowScripts`, and a later npm skips them by default (npm RFC 868). better-sqlite3's build
 * is the search index, esbuild's the test runner (tsx): both must stay allowed.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { INSTALL_DIR } from '../../lib/version.js';

const json = (file: string) => JSON.parse(readFileSync(path.join(INSTALL_DIR, file), 'utf8')) as Record<string, unknown>;

describe('install scripts (allowScripts)', () => {
  it('every locked package with an install script is allowed by package.json', () => {
    const allow = (json('package.json').allowScripts ?? {}) as Record<string, boolean>;
    const packages = json('package-lock.json').packages as Record<string, { version?: string; hasInstallScript?: boolean }>;
    const withScripts = Object.entries(packages)
      .filter(([, p]) => p.hasInstallScript)
      .map(([where, p]) => ({ name: where.replace(/^.*node_modules\//, ''), version: p.version }));
    assert.ok(
      withScripts.some((p) => p.name === 'better-sqlite3'),
      'the lock still has better-sqlite3',
    );
    const notAllowed = withScripts.filter((p) => allow[p.name] !== true && allow[`${p.name}@${p.version}`] !== true);
    assert.deepEqual(notAllowed, []);
  });
});
