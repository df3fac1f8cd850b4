// A tag's page (/ui/r/<name>/t/<tag>): where it is visible, pull commands, layers, V1 ancestry, referrers, config, manifest.
import { api, type TagDetail } from './api';
import { bytes, short, when } from './format';
import { Badge, Bridge, DeleteButton, go, Link, PullCommands, useLoad } from './parts';

export function Tag({ name, tag }: { name: string; tag: string }) {
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
