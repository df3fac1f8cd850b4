/**
 * The repository explains itself: code, comments, scripts and docs cite files that ship with
 * it or public upstream sources (a repository and a file in it), never a path or a document
 * that exists only on the machine it was written on, nor the team's private specs and their
 * section numbers, which a clone of the repository does not have. The repository's own files and
 * commands are named by paths that exist, so a move takes its mentions along.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { INSTALL_DIR } from '../../lib/version.js';

/** Build output, installed packages and git's own files: not the repository's text. */
const SKIP = new Set(['node_modules', 'dist', 'coverage', 'tmp', '.git']);
const THIS_FILE = fileURLToPath(import.meta.url);
const FIXTURES = path.join(INSTALL_DIR, 'test', 'fixtures');
// Machine-local paths, and the team documents that live beside the repository, not in it.
const LOCAL_REFERENCE = /\/work\/|\.\.\/shared\b|\b(services|architecture|style)\.md\b/;
// The private specs by name or by their section numbers: `spec v1 §1.3`, `v2-and-bridging §2.2`,
// a bare `§5.5`. A section of a public document is cited by its title (or as `RFC 9110 §14.2`).
const PRIVATE_SPEC = /\bspec v\d+ §|\bv2-and-bridging\b|\bv2-storage-layout\b|(?<!\bRFC \d{3,5} )§ ?\d/;

function* files(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(entry.name)) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* files(full);
    else if (entry.isFile() && full !== THIS_FILE) yield full;
  }
}

/** Every line of every text file that `include` accepts, with a `file:line` label. */
function* lines(include: (file: string) => boolean): Generator<{ where: string; line: string }> {
  for (const file of files(INSTALL_DIR)) {
    if (!include(file)) continue;
    const text = readFileSync(file);
    if (text.includes(0)) continue; // binary fixtures
    const rel = path.relative(INSTALL_DIR, file);
    let n = 0;
    for (const line of text.toString('utf8').split('\n')) yield { where: `${rel}:${++n}`, line };
  }
}

// A file of this repository named by its path (`test/checksums/tarsum.test.ts`, `scripts/services/install.sh`);
// upstream paths are named after their repository and have other roots (`docker_registry/…`, `docs/spec/…`).
const REPOSITORY_PATH = /(?<![\w./@-])(?:lib|test|scripts|contrib|wsgi-compat|bench)\/[\w./-]*\.(?:ts|mjs|cjs|md|sh|conf|service|json|yml)\b/g;
// A command of this repository named by its path (`scripts/purge-uploads`, `wsgi-compat/gunicorn`).
const REPOSITORY_COMMAND = /(?<![\w./@-])(?:scripts|wsgi-compat)\/[\w-]+(?![\w./-])/g;

/** Fixture data is upstream's, byte for byte; the fixtures' READMEs are ours. */
const ownText = (file: string) => !file.startsWith(FIXTURES + path.sep) || file.endsWith('.md');

describe('the repository is self-contained', () => {
  it('no file points at a machine-local path or a document outside the repository', () => {
    const found: string[] = [];
    for (const { where, line } of lines(() => true)) if (LOCAL_REFERENCE.test(line)) found.push(`${where}: ${line.trim()}`);
    assert.deepEqual(found, []);
  });

  it('no text cites the private specs or their section numbers (cite the upstream repository and file)', () => {
    const found: string[] = [];
    for (const { where, line } of lines(ownText)) if (PRIVATE_SPEC.test(line)) found.push(`${where}: ${line.trim()}`);
    assert.deepEqual(found, []);
  });

  it('every file a text names by its repository path exists (a moved file takes its mentions along)', () => {
    const missing: string[] = [];
    for (const { where, line } of lines(ownText)) {
      for (const [named] of [...line.matchAll(REPOSITORY_PATH), ...line.matchAll(REPOSITORY_COMMAND)]) {
        if (!existsSync(path.join(INSTALL_DIR, named))) missing.push(`${where}: ${named}`);
      }
    }
    assert.deepEqual(missing, []);
  });

  it('the operator tools go by the names they have (scripts/<name>, not an installed berth-<name>)', () => {
    const tools = readdirSync(path.join(INSTALL_DIR, 'scripts'), { withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => e.name);
    assert.ok(tools.includes('purge-uploads'), 'scripts/ holds the tools');
    const inventedName = new RegExp(`\\bberth-(?:${tools.join('|')})\\b`);
    const found: string[] = [];
    for (const { where, line } of lines(ownText)) if (inventedName.test(line)) found.push(`${where}: ${line.trim()}`);
    assert.deepEqual(found, []);
  });

  it('the private-spec pattern catches their citations and spares public ones', () => {
    for (const cited of ['(spec v1 §1.3)', 'spec v2 §4', 'spec v2-and-bridging §2.2', 'v2-and-bridging', 'v2-storage-layout.md', 'General (§5.5)', '§ 3.2']) {
      assert.ok(PRIVATE_SPEC.test(cited), cited);
    }
    for (const fine of [
      'distribution spec v1.1',
      'OCI spec (v1.1)',
      'RFC 9110 §14.2',
      'sha256("bridging-and-v2 test key")',
      'moby v1.6.0 `registry/session.go`',
    ]) {
      assert.ok(!PRIVATE_SPEC.test(fine), fine);
    }
    for (const local of ['../shared/docs/x.md', 'see ../shared', '/work/main', 'architecture.md']) assert.ok(LOCAL_REFERENCE.test(local), local);
  });
});
