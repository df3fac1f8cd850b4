// The repository list (/ui/) and one repository's tags (/ui/r/<name>).
import { useEffect, useState } from 'preact/hooks';
import { api, type RepositoryPage, type RepositoryView } from './api';
import { bytes, short, when } from './format';
import { Badge, Bridge, DeleteButton, go, Link, Pager, PullCommands, useLoad } from './parts';

export function Repositories({ q, page }: { q: string; page: number }) {
  const [text, setText] = useState(q);
  useEffect(() => setText(q), [q]);
  useEffect(() => {
    if (text === q) return;
    const t = setTimeout(() => go({ view: 'repositories', q: text, page: 1 }, true), 250);
    return () => clearTimeout(t);
  }, [text, q]);
  const { data, error } = useLoad<RepositoryPage>(`${q}\0${page}`, () => api.repositories(q, page));
  return (
    <section>
      <h1>Repositories</h1>
      <div class="search">
        <input
          type="search"
          placeholder="Search repositories"
          aria-label="Search repositories"
          value={text}
          onInput={(e) => setText((e.target as HTMLInputElement).value)}
        />
      </div>
      {error && <p class="error">{error}</p>}
      {data && (
        <>
          <p class="muted">{data.total === 1 ? '1 repository' : `${data.total} repositories`}</p>
          <table>
            <thead>
              <tr>
                <th>Name</th>
                <th>Protocols</th>
              </tr>
            </thead>
            <tbody>
              {data.items.map((r) => (
                <tr key={r.name}>
                  <td>
                    <Link to={{ view: 'repository', name: r.name, page: 1 }}>{r.name}</Link>
                  </td>
                  <td>
                    {r.v1 && <span class="badge v1">V1</span>}
                    {r.v2.length > 0 && <span class="badge v2">V2</span>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager page={data.page} pageSize={data.pageSize} total={data.total} to={(p) => ({ view: 'repositories', q, page: p })} />
        </>
      )}
    </section>
  );
}

export function Repository({ name, page }: { name: string; page: number }) {
  const { data, error, reload } = useLoad<RepositoryView>(`${name}\0${page}`, () => api.repository(name, page));
  return (
    <section>
      <p>
        <Link to={{ view: 'repositories', q: '', page: 1 }}>Repositories</Link> /
      </p>
      <h1>{name}</h1>
      {error && <p class="error">{error}</p>}
      {data && data.tags.length === 0 && <p class="muted">No tags.</p>}
      {data?.tags.map((t) => (
        <article key={t.tag} class="card">
          <h2>
            <Link to={{ view: 'tag', name, tag: t.tag }}>{t.tag}</Link> <Badge visibility={t.visibility} /> <Bridge tag={t} />
          </h2>
          <div class="scroll">
            <table>
              <thead>
                <tr>
                  <th>Digest</th>
                  <th>Size</th>
                  <th class="hide-small">Created</th>
                  <th>Architecture</th>
                  <th>Layers</th>
                </tr>
              </thead>
              <tbody>
                <tr>
                  <td class="mono">{t.v2 ? short(t.v2.digest) : t.v1 ? `V1 ${short(t.v1.id)}` : '–'}</td>
                  <td class="num">{bytes(t.size)}</td>
                  <td class="hide-small">{when(t.created)}</td>
                  <td>{t.architecture ?? '–'}</td>
                  <td class="num">{t.layers ?? '–'}</td>
                </tr>
              </tbody>
            </table>
          </div>
          <PullCommands name={name} tag={t} />
          {data.mayDelete && <DeleteButton name={name} tag={t.tag} after={reload} />}
        </article>
      ))}
      {data && <Pager page={data.page} pageSize={data.pageSize} total={data.total} to={(p) => ({ view: 'repository', name, page: p })} />}
    </section>
  );
}
