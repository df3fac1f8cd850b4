/**
 * /v2/<name>/manifests/<reference>: GET/HEAD with Accept negotiation and ETag, PUT (exact
 * bytes, references checked, `?tag=` extra tags answered with OCI-Tag), DELETE.
 */
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { Deps } from '../../../deps.js';
import { V2 } from '../../../errors/catalog.js';
import { RegistryError } from '../../../errors/registry-error.js';
import { bareMediaType } from '../../../services/v2/manifest-types.js';
import { MAX_MANIFEST_BYTES } from '../../../services/v2/manifests.js';
import { readSmallBody } from '../../read-body.js';
import type { RequestState } from '../../state.js';
import { checkName, checkTag, parseReadReference, parseReference } from '../../v2-names.js';
import { emptyReply } from '../../v2-response.js';
import type { V2Services } from './index.js';

const MANIFEST = '/v2/*name/manifests/:reference';

export function manifestRoutes(router: Router<RequestState>, deps: Deps, { manifests }: V2Services): void {
  const serve = async (ctx: Context, withBody: boolean) => {
    const name = checkName(String(ctx.params.name));
    const manifest = await manifests.get(name, parseReadReference(ctx.params.reference as string), acceptedTypes(ctx));
    const etag = `"${manifest.digest.value}"`;
    ctx.set({ 'Docker-Content-Digest': manifest.digest.value, ETag: etag });
    if (ctx.get('If-None-Match') === etag) {
      ctx.status = 304;
      return;
    }
    ctx.status = 200;
    ctx.type = manifest.mediaType;
    ctx.length = manifest.body.length;
    if (withBody) ctx.body = manifest.body;
  };
  // @koa/router answers HEAD with the GET route.
  router.get(MANIFEST, (ctx) => serve(ctx, ctx.method !== 'HEAD'));

  router.put(MANIFEST, async (ctx) => {
    const name = checkName(String(ctx.params.name));
    const ref = parseReference(ctx.params.reference as string);
    const extraTags = ([] as string[]).concat(ctx.query.tag ?? []).map(checkTag);
    const body = await readSmallBody(ctx, MAX_MANIFEST_BYTES, () => new RegistryError(V2.MANIFEST_TOO_LARGE, { detail: { limit: MAX_MANIFEST_BYTES } }));
    const result = await manifests.put(name, ref, body, bareMediaType(ctx.get('Content-Type')), extraTags);
    const headers: Record<string, string | string[]> = {
      Location: `/v2/${name}/manifests/${result.digest.value}`,
      'Docker-Content-Digest': result.digest.value,
    };
    if (result.subject) headers['OCI-Subject'] = result.subject.value;
    if (extraTags.length > 0) headers['OCI-Tag'] = extraTags;
    emptyReply(ctx, 201, headers);
  });

  router.delete(MANIFEST, async (ctx) => {
    if (!deps.config.storage_delete_enabled) throw new RegistryError(V2.UNSUPPORTED, { message: 'deletes are disabled (storage_delete_enabled)' });
    await manifests.delete(checkName(String(ctx.params.name)), parseReference(ctx.params.reference as string));
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
