// The web page: four views, each with its own URL (see api.ts parseRoute), drawn with preact
// (which escapes every text it renders; nothing here writes raw HTML).
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { parseRoute, type Route } from './api';
import { MigrationView } from './migration';
import { Link } from './parts';
import { Repositories, Repository } from './repositories';
import { Tag } from './tag';

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
