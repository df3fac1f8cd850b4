/**
 * /v2/<name>/manifests/<reference>: GET/HEAD with Accept negotiation and ETag, PUT (exact
 * bytes, references checked, `?tag=` extra tags answered with OCI-Tag), DELETE.
 */
import type { Context } from 'koa';
import type { Deps } from '../../../deps.js';
import { V2 } from '../../../errors/catalog.js';
import { RegistryError } from '../../../errors/registry-error.js';
import type { V2Services } from '../../../services/index.js';
import { bareMediaType } from '../../../services/v2/manifest-types.js';
import { MAX_MANIFEST_BYTES } from '../../../services/v2/manifests.js';
import { ACCESS } from '../../access.js';
import { readSmallBody } from '../../read-body.js';
import { param } from '../../state.js';
import { checkTag } from '../../v2-names.js';
import { emptyReply } from '../../v2-response.js';
import type { RouteDefiner } from '../route-table.js';

const MANIFEST = '/v2/*name/manifests/:reference';

export function manifestRoutes(r: RouteDefiner, deps: Deps, { manifests }: V2Services): void {
  // @koa/router answers HEAD with the GET route.
  r.get(MANIFEST, ACCESS.pull, async (ctx) => {
    const manifest = await manifests.get(param(ctx.state, 'name'), param(ctx.state, 'reference'), acceptedTypes(ctx));
    const etag = `"${manifest.digest.value}"`;
    ctx.set({ 'Docker-Content-Digest': manifest.digest.value, ETag: etag });
    if (manifest.warning) ctx.set('Warning', manifest.warning);
    if (ctx.get('If-None-Match') === etag) {
      ctx.status = 304;
      return;
    }
    ctx.status = 200;
    ctx.type = manifest.mediaType;
    ctx.length = manifest.body.length;
    if (ctx.method !== 'HEAD') ctx.body = manifest.body;
  });

  r.put(MANIFEST, ACCESS.push, async (ctx) => {
    const name = param(ctx.state, 'name');
    const extraTags = ([] as string[]).concat(ctx.query.tag ?? []).map(checkTag);
    const body = await readSmallBody(ctx, MAX_MANIFEST_BYTES, () => new RegistryError(V2.MANIFEST_TOO_LARGE, { detail: { limit: MAX_MANIFEST_BYTES } }));
    const result = await manifests.put(name, param(ctx.state, 'reference'), body, bareMediaType(ctx.get('Content-Type')), extraTags);
    const headers: Record<string, string | string[]> = {
      Location: `/v2/${name}/manifests/${result.digest.value}`,
      'Docker-Content-Digest': result.digest.value,
    };
    if (result.subject) headers['OCI-Subject'] = result.subject.value;
    if (extraTags.length > 0) headers['OCI-Tag'] = extraTags;
    emptyReply(ctx, 201, headers);
  });

  r.delete(MANIFEST, ACCESS.delete, async (ctx) => {
    if (!deps.config.storage_delete_enabled) throw new RegistryError(V2.UNSUPPORTED, { message: 'deletes are disabled (storage_delete_enabled)' });
    await manifests.delete(param(ctx.state, 'name'), param(ctx.state, 'reference'));
    emptyReply(ctx, 202);
  });
}

/** Every media type of every Accept header, parameters (`;q=`) dropped. */
function acceptedTypes(ctx: Context): Set<string> {
  const raw = ctx.req.headers.accept;
  const values = Array.isArray(raw) ? raw : raw ? [raw] : [];
  return new Set(
    values
      .flatMap((v) => v.split(','))
      .map((t) => bareMediaType(t))
      .filter((t) => t !== ''),
  );
}
