/**
 * The web page's files, built by `npm run build` into dist/ui/ (scripts/build-ui.mjs): read
 * once, kept in memory with a gzip copy (the whole page is a few tens of KiB), and served with
 * a strict Content-Security-Policy. The HTML shell is the same for every view: the script reads
 * the URL and draws the view, so each view's URL can be bookmarked.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Context } from 'koa';
import { UI } from '../errors/catalog.js';
import { RegistryError } from '../errors/registry-error.js';
import { INSTALL_DIR } from '../version.js';

/** No inline script or style, nothing from elsewhere, no framing. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

const TYPES: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.html': 'text/html; charset=utf-8' };

/** What scripts/build-ui.mjs writes: nothing else is ever read from the folder. */
export const BUILT = new Set(['index.html', 'app.js', 'app.css']);

interface Asset {
  type: string;
  body: Buffer;
  gzip: Buffer;
}

export class UiAssets {
  private readonly files = new Map<string, Asset | null>();

  constructor(private readonly dir = path.join(INSTALL_DIR, 'dist', 'ui')) {}

  /** `index.html`, `app.js`, `app.css`; null for anything else or a file that was not built. */
  get(name: string): Asset | null {
    if (!BUILT.has(name)) return null;
    if (!this.files.has(name)) this.files.set(name, this.load(name));
    return this.files.get(name) ?? null;
  }

  private load(name: string): Asset | null {
    try {
      const body = readFileSync(path.join(this.dir, name));
      return { type: TYPES[path.extname(name)] as string, body, gzip: gzipSync(body) };
    } catch {
      return null;
    }
  }

  send(ctx: Context, name: string, cache: 'none' | 'day'): boolean {
    const asset = this.get(name);
    if (!asset) return false;
    const gzip = /\bgzip\b/.test(ctx.get('Accept-Encoding'));
    ctx.status = 200;
    ctx.type = asset.type;
    ctx.set('Vary', 'Accept-Encoding');
    ctx.set('Cache-Control', cache === 'day' ? 'public, max-age=86400' : 'no-cache');
    if (gzip) ctx.set('Content-Encoding', 'gzip');
    ctx.body = gzip ? asset.gzip : asset.body;
    return true;
  }

  page(ctx: Context): void {
    if (!this.send(ctx, 'index.html', 'none')) throw new RegistryError(UI.NOT_BUILT);
  }
}

/** Headers every /ui/ response carries, the JSON API's included. */
export function securityHeaders(ctx: Context): void {
  ctx.set({
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
  });
}
