// The web page: four views, each with its own URL (see api.ts parseRoute), drawn with preact
// (which escapes every text it renders; nothing here writes raw HTML).
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, hrefOf, type Migration, parseRoute, type RepositoryPage, type RepositoryView, type Route, type TagDetail, type TagSummary } from './api';
import { bytes, clientOf, short, when } from './format';

function go(route: Route | string, replace = false): void {
  const href = typeof route === 'string' ? route : hrefOf(route);
  if (replace) history.replaceState(null, '', href);
  else history.pushState(null, '', href);
  dispatchEvent(new PopStateEvent('popstate'));
}

function Link(props: { to: Route; children: preact.ComponentChildren; class?: string }) {
  const href = hrefOf(props.to);
  return (
    <a
      href={href}
      class={props.class}
      onClick={(e) => {
        if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
        e.preventDefault();
        go(href);
      }}
    >
      {props.children}
    </a>
  );
}

/** Load `load()` whenever `key` changes; show its error instead of the view when it fails. */
function useLoad<T>(key: string, load: () => Promise<T>): { data: T | null; error: string | null; reload: () => void } {
  const [state, setState] = useState<{ key: string; data: T | null; error: string | null }>({ key: '', data: null, error: null });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    load().then(
      (data) => live && setState({ key, data, error: null }),
      (err: Error) => live && setState({ key, data: null, error: err.message }),
    );
    return () => {
      live = false;
    };
  }, [key, tick]);
  const fresh = state.key === key;
  return { data: fresh ? state.data : null, error: fresh ? state.error : null, reload: () => setTick((t) => t + 1) };
}

function Badge({ visibility }: { visibility: TagSummary['visibility'] }) {
  const text = { v1: 'V1 only', v2: 'V2 only', both: 'V1 + V2' }[visibility];
  return <span class={`badge ${visibility}`}>{text}</span>;
}

function Bridge({ tag }: { tag: TagSummary }) {
  if (!tag.bridge) return null;
  if (tag.bridge.state === 'not-bridgeable')
    return (
      <span class="badge bad" title={tag.bridge.reason}>
        not bridgeable: {tag.bridge.reason}
      </span>
    );
  if (tag.bridge.state === 'pending') return <span class="muted">bridging…</span>;
  return <span class="muted">pushed over {tag.bridge.source.toUpperCase()}</span>;
}

function Copyable({ label, text }: { label: string; text: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <div class="pull">
      <span class="label">{label}</span>
      <input readOnly value={text} aria-label={label} onFocus={(e) => (e.target as HTMLInputElement).select()} />
      <button
        type="button"
        onClick={async (e) => {
          const input = (e.currentTarget as HTMLElement).previousElementSibling as HTMLInputElement;
          input.select();
          try {
            await navigator.clipboard.writeText(text);
          } catch {
            document.execCommand('copy');
          }
          setCopied(true);
          setTimeout(() => setCopied(false), 1500);
        }}
      >
        {copied ? 'Copied' : 'Copy'}
      </button>
    </div>
  );
}

/** `docker pull` for V2 clients, and the V1 form Docker before 1.6 needs. */
function PullCommands({ name, tag }: { name: string; tag: TagSummary }) {
  const host = location.host;
  const v2name = tag.v2?.name ?? (name.startsWith('library/') && !name.slice(8).includes('/') ? name.slice(8) : name);
  return (
    <div>
      {tag.v2 && <Copyable label="V2 (Docker ≥ 1.6)" text={`docker pull ${host}/${v2name}:${tag.tag}`} />}
      {tag.v2 && <Copyable label="V2 by digest" text={`docker pull ${host}/${v2name}@${tag.v2.digest}`} />}
      {tag.v1 && <Copyable label="V1 (Docker < 1.6)" text={`docker pull ${host}/${name}:${tag.tag}`} />}
    </div>
  );
}

function DeleteButton({ name, tag, after }: { name: string; tag: string; after: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  return (
    <span>
      <button
        type="button"
        class="danger"
        disabled={busy}
        onClick={async () => {
          if (!confirm(`Delete the tag ${name}:${tag}? Clients will no longer find it (over V1 and V2).`)) return;
          setBusy(true);
          try {
            await api.deleteTag(name, tag);
            after();
          } catch (err) {
            setError((err as Error).message);
          } finally {
            setBusy(false);
          }
        }}
      >
        Delete {tag}
      </button>
      {error && <span class="error">{error}</span>}
    </span>
  );
}

function Pager({ page, pageSize, total, to }: { page: number; pageSize: number; total: number; to: (page: number) => Route }) {
  const last = Math.max(1, Math.ceil(total / pageSize));
  if (last === 1) return null;
  return (
    <div class="pager">
      {page > 1 ? <Link to={to(page - 1)}>← Previous</Link> : <span class="muted">← Previous</span>}
      <span>
        page {page} of {last}
      </span>
      {page < last ? <Link to={to(page + 1)}>Next →</Link> : <span class="muted">Next →</span>}
    </div>
  );
}

function Repositories({ q, page }: { q: string; page: number }) {
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

function Repository({ name, page }: { name: string; page: number }) {
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

function Tag({ name, tag }: { name: string; tag: string }) {
  const { data, error } = useLoad<TagDetail>(`${name}\0${tag}`, () => api.tag(name, tag));
  return (
    <section>
      <p>
        <Link to={{ view: 'repositories', q: '', page: 1 }}>Repositories</Link> / <Link to={{ view: 'repository', name, page: 1 }}>{name}</Link> /
      </p>
      <h1>
        {name}:{tag}
      </h1>
      {error && <p class="error">{error}</p>}
      {data && (
        <>
          <p>
            <Badge visibility={data.visibility} /> <Bridge tag={data} />
          </p>
          <p>
            {data.v2 && (
              <>
                <span class="mono">{data.v2.digest}</span> · <span class="mono">{data.v2.mediaType}</span> ·{' '}
              </>
            )}
            {bytes(data.size)} · {data.architecture ?? '–'} · created {when(data.created)}
          </p>
          <PullCommands name={name} tag={data} />
          {data.mayDelete && <DeleteButton name={name} tag={tag} after={() => go({ view: 'repository', name, page: 1 })} />}
          {data.layerList.length > 0 && (
            <>
              <h2>Layers ({data.layerList.length})</h2>
              <div class="scroll">
                <table>
                  <thead>
                    <tr>
                      <th>#</th>
                      <th>Digest</th>
                      <th>Size</th>
                      <th class="hide-small">Media type</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.layerList.map((l, i) => (
                      <tr key={`${i}${l.digest}`}>
                        <td>{i + 1}</td>
                        <td class="mono">{short(l.digest)}</td>
                        <td class="num">{bytes(l.size)}</td>
                        <td class="hide-small mono">{l.mediaType}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </>
          )}
          {data.platforms.length > 0 && (
            <>
              <h2>Platforms</h2>
              <ul>
                {data.platforms.map((p) => (
                  <li key={p.digest}>
                    {p.platform || '(none)'} <span class="mono">{short(p.digest)}</span> {bytes(p.size)}
                  </li>
                ))}
              </ul>
            </>
          )}
          {data.ancestry && (
            <>
              <h2>V1 ancestry ({data.ancestry.length})</h2>
              <div class="scroll">
                <table>
                  <thead>
                    <tr>
                      <th>Image id</th>
                      <th>Size</th>
                      <th class="hide-small">Created</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.ancestry.map((a) => (
                      <tr key={a.id}>
                        <td class="mono">{a.id}</td>
                        <td class="num">{bytes(a.size)}</td>
                        <td class="hide-small">{when(a.created)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </>
          )}
          <h2>Referrers</h2>
          {data.referrers.length === 0 ? (
            <p class="muted">None.</p>
          ) : (
            <ul>
              {data.referrers.map((r) => (
                <li key={r.digest}>
                  <span class="mono">{short(r.digest)}</span> {r.artifactType ?? r.mediaType} {bytes(r.size)}
                </li>
              ))}
            </ul>
          )}
          {data.config && (
            <>
              <h2>Config</h2>
              <p class="mono">
                {data.config.digest} · {data.config.mediaType}
              </p>
              {data.config.json && <pre>{data.config.json}</pre>}
            </>
          )}
          {data.manifest && (
            <>
              <h2>Manifest</h2>
              <pre>{data.manifest}</pre>
            </>
          )}
        </>
      )}
    </section>
  );
}

function MigrationView() {
  const { data, error } = useLoad<Migration>('migration', () => api.migration());
  return (
    <section>
      <h1>Migration from V1 to V2</h1>
      {error && <p class="error">{error}</p>}
      {data && (
        <>
          <h2>Images (tags) by where clients can pull them</h2>
          <div class="cards">
            <div class="card">
              <div class="n">{data.counts.v1Only}</div>V1 only
            </div>
            <div class="card">
              <div class="n">{data.counts.both}</div>V1 and V2 (bridged)
            </div>
            <div class="card">
              <div class="n">{data.counts.v2Only}</div>V2 only
            </div>
            <div class="card">
              <div class="n">{Object.values(data.counts.notBridgeable).reduce((a, b) => a + b, 0)}</div>not bridgeable
            </div>
            {data.counts.pending > 0 && (
              <div class="card">
                <div class="n">{data.counts.pending}</div>being bridged
              </div>
            )}
          </div>
          <p class="muted">
            {data.counts.repositories} repositories, counted {when(data.counts.computedAt)}
            {data.counts.partial ? ' (part of the store: the count stopped at its time limit)' : ''}
          </p>
          {Object.keys(data.counts.notBridgeable).length > 0 && (
            <table>
              <thead>
                <tr>
                  <th>Not bridgeable because</th>
                  <th>Tags</th>
                </tr>
              </thead>
              <tbody>
                {Object.entries(data.counts.notBridgeable).map(([reason, n]) => (
                  <tr key={reason}>
                    <td>{reason}</td>
                    <td class="num">{n}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <h2>Clients of the last 30 days</h2>
          {data.clients.length === 0 && <p class="muted">None seen yet.</p>}
          {(['v1', 'v2'] as const).map((protocol) => {
            const clients = data.clients.filter((c) => c.protocol === protocol);
            if (clients.length === 0) return null;
            return (
              <div key={protocol}>
                <h2>
                  Over {protocol.toUpperCase()} ({clients.length})
                </h2>
                <div class="scroll">
                  <table class="clients">
                    <thead>
                      <tr>
                        <th>Client</th>
                        <th>User-Agent</th>
                        {data.recordsAddresses && <th>Address</th>}
                        <th>Last seen</th>
                        <th>Repositories</th>
                      </tr>
                    </thead>
                    <tbody>
                      {clients.map((c) => (
                        <tr key={`${c.agent}\0${c.address ?? ''}`}>
                          <td>{clientOf(c.agent)}</td>
                          <td class="mono ua">{c.agent}</td>
                          {data.recordsAddresses && <td class="mono">{c.address ?? ''}</td>}
                          <td>{when(c.last)}</td>
                          <td>
                            {c.repositories.map((u) => (
                              <div key={`${u.action}${u.name}`}>
                                {u.action} <Link to={{ view: 'repository', name: u.name, page: 1 }}>{u.name}</Link>
                              </div>
                            ))}
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              </div>
            );
          })}
        </>
      )}
    </section>
  );
}

function App() {
  const [route, setRoute] = useState<Route>(() => parseRoute(location));
  useEffect(() => {
    const onPop = () => setRoute(parseRoute(location));
    addEventListener('popstate', onPop);
    return () => removeEventListener('popstate', onPop);
  }, []);
  useEffect(() => {
    document.title = `${{ repositories: 'Repositories', repository: 'Repository', tag: 'Tag', migration: 'Migration' }[route.view]} · Berth`;
  }, [route]);
  return (
    <>
      <header>
        <strong>Berth</strong>
        <nav>
          <Link to={{ view: 'repositories', q: '', page: 1 }}>Repositories</Link>
          <Link to={{ view: 'migration' }}>Migration</Link>
        </nav>
      </header>
      <main>
        {route.view === 'repositories' && <Repositories q={route.q} page={route.page} />}
        {route.view === 'repository' && <Repository name={route.name} page={route.page} />}
        {route.view === 'tag' && <Tag name={route.name} tag={route.tag} />}
        {route.view === 'migration' && <MigrationView />}
      </main>
    </>
  );
}

render(<App />, document.getElementById('app') as HTMLElement);
