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
import { ConfigError } from '../config/errors.js';
import type { Config } from '../config/load.js';

export interface SearchResult {
  name: string;
  description: string | null;
}

export class SearchIndex {
  private constructor(private readonly db: BetterSqlite3.Database) {}

  /** null when search_backend is not set (then /v1/search is not mounted, as in 0.9). */
  static open(config: Readonly<Config>): SearchIndex | null {
    const backend = config.search_backend;
    if (!backend) return null;
    const fail = (key: string, message: string): never => {
      throw new ConfigError([{ key, message }], config.flavor, config.source.path);
    };
    if (!['sqlalchemy', 'sqlite'].includes(backend))
      fail('search_backend', `unsupported search backend ${JSON.stringify(backend)}; use sqlalchemy (an sqlite:/// database)`);
    const file =
      sqliteFile(config.sqlalchemy_index_database) ??
      fail('sqlalchemy_index_database', `only sqlite URLs are supported (sqlite:////abs/path.db), got ${JSON.stringify(config.sqlalchemy_index_database)}`);
    let Database: typeof BetterSqlite3;
    try {
      Database = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
    } catch (err) {
      return fail(
        'search_backend',
        `the better-sqlite3 package could not be loaded (${(err as Error).message.split('\n')[0]}); reinstall with npm ci, or unset search_backend`,
      );
    }
    const db = new Database(file);
    db.pragma('busy_timeout = 5000');
    if (file !== ':memory:') db.pragma('journal_mode = WAL');
    db.exec(`CREATE TABLE IF NOT EXISTS version (id INTEGER NOT NULL PRIMARY KEY);
             CREATE TABLE IF NOT EXISTS repository (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(95) NOT NULL UNIQUE, description VARCHAR(100));
             INSERT OR IGNORE INTO version (id) VALUES (1);`);
    const version = (db.prepare('SELECT max(id) AS v FROM version').get() as { v: number }).v;
    if (version !== 1) fail('sqlalchemy_index_database', `the search database has schema version ${version}; only version 1 is known`);
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
export function sqliteFile(url: string): string | null {
  const m = /^sqlite:\/\/(\/(.*))?$/.exec(url);
  if (!m) return null;
  const rest = m[2] ?? '';
  if (rest === '' || rest === ':memory:') return ':memory:';
  return rest.startsWith('/') ? rest : path.resolve(rest);
}
