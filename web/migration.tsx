// The migration view (/ui/migration): tags by where they can be pulled, and the clients of the last 30 days by protocol.
import { api, type Migration } from './api';
import { clientOf, when } from './format';
import { Link, useLoad } from './parts';

export function MigrationView() {
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
