/**
 * The repository search behind `/v1/search`, in an embedded SQLite file with docker-registry's
 * own schema (tables `version` and `repository`), so the file an old registry left can be
 * reused. Unlike the old index it is kept current in every mode (every tag PUT and repository
 * delete), is rebuilt from storage when new or empty, and needs no lock file: SQLite's own
 * locking (WAL, busy timeout) serves several worker processes.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { type ConfigIssue, configError } from '../config/errors.js';
import type { Config } from '../config/load.js';

export interface SearchResult {
  name: string;
  description: string | null;
}

export class SearchIndex {
  private constructor(private readonly db: BetterSqlite3.Database) {}

  /** null when search_backend is not set (then /v1/search is not mounted, as in 0.9). */
  static open(config: Readonly<Config>): SearchIndex | null {
    if (!config.search_backend) return null;
    const issues = searchIssues(config);
    if (issues.length > 0) throw configError(config, issues);
    // searchIssues checked that the URL is an sqlite one and that the module loads.
    const file = sqliteFile(config.sqlalchemy_index_database) as string;
    const Database = loadSqlite() as typeof BetterSqlite3;
    const db = new Database(file);
    db.pragma('busy_timeout = 5000');
    if (file !== ':memory:') db.pragma('journal_mode = WAL');
    db.exec(`CREATE TABLE IF NOT EXISTS version (id INTEGER NOT NULL PRIMARY KEY);
             CREATE TABLE IF NOT EXISTS repository (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(95) NOT NULL UNIQUE, description VARCHAR(100));
             INSERT OR IGNORE INTO version (id) VALUES (1);`);
    const version = (db.prepare('SELECT max(id) AS v FROM version').get() as { v: number }).v;
    if (version !== 1) {
      throw configError(config, [{ key: 'sqlalchemy_index_database', message: `the search database has schema version ${version}; only version 1 is known` }]);
    }
    return new SearchIndex(db);
  }

  isEmpty(): boolean {
    return (this.db.prepare('SELECT count(*) AS n FROM repository').get() as { n: number }).n === 0;
  }

  /** A repository exists (created, tagged): add it; an existing description is kept. */
  add(name: string): void {
    this.db.prepare("INSERT OR IGNORE INTO repository (name, description) VALUES (?, '')").run(name);
  }

  /** Many at once, in one transaction: readers see none of them or all of them. */
  addAll(names: readonly string[]): void {
    const insert = this.db.prepare("INSERT OR IGNORE INTO repository (name, description) VALUES (?, '')");
    this.db.transaction((all: readonly string[]) => {
      for (const name of all) insert.run(name);
    })(names);
  }

  remove(name: string): void {
    this.db.prepare('DELETE FROM repository WHERE name = ?').run(name);
  }

  /** Substring match on name or description; `%` and `_` in the query are literal (the old index let them act as wildcards). */
  search(query: string): SearchResult[] {
    const like = `%${query.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    return this.db
      .prepare("SELECT name, description FROM repository WHERE name LIKE ? ESCAPE '\\' OR description LIKE ? ESCAPE '\\' ORDER BY name")
      .all(like, like) as SearchResult[];
  }

  close(): void {
    this.db.close();
  }
}

/** `sqlite:////abs/x.db` → /abs/x.db; `sqlite:///rel.db` → rel.db; `sqlite://` or `:memory:` → in memory. */
/** The search settings' problems, found without opening the database (`--check-config` runs this too). */
export function searchIssues(config: Readonly<Config>): ConfigIssue[] {
  const backend = config.search_backend;
  if (!backend) return [];
  if (!['sqlalchemy', 'sqlite'].includes(backend)) {
    return [{ key: 'search_backend', message: `unsupported search backend ${JSON.stringify(backend)}; use sqlalchemy (an sqlite:/// database)` }];
  }
  const url = config.sqlalchemy_index_database;
  if (!sqliteFile(url)) {
    return [{ key: 'sqlalchemy_index_database', message: `only sqlite URLs are supported (sqlite:////abs/path.db), got ${JSON.stringify(url)}` }];
  }
  const loaded = loadSqlite();
  if (loaded instanceof Error) {
    const why = loaded.message.split('\n')[0];
    return [{ key: 'search_backend', message: `the better-sqlite3 package could not be loaded (${why}); reinstall with npm ci, or unset search_backend` }];
  }
  return [];
}

/** better-sqlite3 is an optional dependency with a native build that may have failed. */
function loadSqlite(): typeof BetterSqlite3 | Error {
  try {
    return createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
  } catch (err) {
    return err as Error;
  }
}

export function sqliteFile(url: string): string | null {
  const m = /^sqlite:\/\/(\/(.*))?$/.exec(url);
  if (!m) return null;
  const rest = m[2] ?? '';
  if (rest === '' || rest === ':memory:') return ':memory:';
  return rest.startsWith('/') ? rest : path.resolve(rest);
}
