// The pieces the views share: links that keep the page (history API), loading, badges, copyable pull commands, delete, paging.
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, hrefOf, type Route, type TagSummary } from './api';

export function go(route: Route | string, replace = false): void {
  const href = typeof route === 'string' ? route : hrefOf(route);
  if (replace) history.replaceState(null, '', href);
  else history.pushState(null, '', href);
  dispatchEvent(new PopStateEvent('popstate'));
}

export function Link(props: { to: Route; children: ComponentChildren; class?: string }) {
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
export function useLoad<T>(key: string, load: () => Promise<T>): { data: T | null; error: string | null; reload: () => void } {
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

export function Badge({ visibility }: { visibility: TagSummary['visibility'] }) {
  const text = { v1: 'V1 only', v2: 'V2 only', both: 'V1 + V2' }[visibility];
  return <span class={`badge ${visibility}`}>{text}</span>;
}

export function Bridge({ tag }: { tag: TagSummary }) {
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

export function Copyable({ label, text }: { label: string; text: string }) {
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
export function PullCommands({ name, tag }: { name: string; tag: TagSummary }) {
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

export function DeleteButton({ name, tag, after }: { name: string; tag: string; after: () => void }) {
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

export function Pager({ page, pageSize, total, to }: { page: number; pageSize: number; total: number; to: (page: number) => Route }) {
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
