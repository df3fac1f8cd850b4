/**
 * The repository explains itself: code, comments, scripts and docs cite files that ship with
 * it or public upstream sources, never a path or a document that exists only on the machine
 * it was written on.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { INSTALL_DIR } from '../../lib/version.js';

/** Build output, installed packages and git's own files: not the repository's text. */
const SKIP = new Set(['node_modules', 'dist', 'coverage', 'tmp', '.git']);
const THIS_FILE = fileURLToPath(import.meta.url);
// Machine-local paths, and the team documents that live beside the repository, not in it.
const LOCAL_REFERENCE = /\/work\/|\.\.\/shared\/|\b(services|architecture|style)\.md\b/;

function* files(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(entry.name)) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* files(full);
    else if (entry.isFile() && full !== THIS_FILE) yield full;
  }
}

describe('the repository is self-contained', () => {
  it('no file points at a machine-local path or a document outside the repository', () => {
    const found: string[] = [];
    for (const file of files(INSTALL_DIR)) {
      const text = readFileSync(file);
      if (text.includes(0)) continue; // binary fixtures
      text
        .toString('utf8')
        .split('\n')
        .forEach((line, i) => {
          if (LOCAL_REFERENCE.test(line)) found.push(`${path.relative(INSTALL_DIR, file)}:${i + 1}: ${line.trim()}`);
        });
    }
    assert.deepEqual(found, []);
  });
});
