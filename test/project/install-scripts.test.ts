/**
 * npm 11.16+ lists dependencies whose install scripts are not reviewed in package.json's
 * `allowScripts`, and a later npm skips them by default (npm RFC 868). better-sqlite3's build
 * is the search index, esbuild's the test runner (tsx): both must stay allowed. Others may be
 * denied on purpose (`false`: dtrace-provider, an optional native add-on of a test client's
 * logger, never built).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { INSTALL_DIR } from '../../lib/version.js';

const json = (file: string) => JSON.parse(readFileSync(path.join(INSTALL_DIR, file), 'utf8')) as Record<string, unknown>;

describe('install scripts (allowScripts)', () => {
  it('every locked package with an install script is reviewed in package.json (allowed or denied), and the search index and test runner are allowed', () => {
    const allow = (json('package.json').allowScripts ?? {}) as Record<string, boolean>;
    const packages = json('package-lock.json').packages as Record<string, { version?: string; hasInstallScript?: boolean }>;
    const withScripts = Object.entries(packages)
      .filter(([, p]) => p.hasInstallScript)
      .map(([where, p]) => ({ name: where.replace(/^.*node_modules\//, ''), version: p.version }));
    assert.ok(
      withScripts.some((p) => p.name === 'better-sqlite3'),
      'the lock still has better-sqlite3',
    );
    const notReviewed = withScripts.filter((p) => allow[p.name] === undefined && allow[`${p.name}@${p.version}`] === undefined);
    assert.deepEqual(notReviewed, []);
    for (const needed of ['better-sqlite3', 'esbuild']) assert.equal(allow[needed], true, `${needed} must stay allowed`);
  });
});
