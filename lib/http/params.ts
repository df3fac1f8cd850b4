/**
 * Route parameters are parsed and validated here, once per request, before any route
 * middleware (access checks included) runs; handlers read the results from `ctx.state`.
 * Each failure is the error its API gives it.
 */
import type Router from '@koa/router';
import { V2 } from '../errors/catalog.js';
import { RegistryError } from '../errors/registry-error.js';
import type { RequestState } from './state.js';
import { checkImageId, checkTag as checkV1Tag, parseRepository } from './v1-names.js';
import { checkName, checkUploadId, parseReadReference, parseReference, requireDigest } from './v2-names.js';

const READS = new Set(['GET', 'HEAD']);

export function v2Params(router: Router<RequestState>): void {
  router.param('name', (value, ctx, next) => {
    ctx.state.name = checkName(value);
    return next();
  });
  // A read of a reference that can name nothing is a missing manifest; a write of one is refused.
  router.param('reference', (value, ctx, next) => {
    ctx.state.reference = READS.has(ctx.method) ? parseReadReference(value) : parseReference(value);
    return next();
  });
  router.param('digest', (value, ctx, next) => {
    // Docker 1.5-era tarsum blobSums: distribution answers 404 so that old clients upload again.
    if (READS.has(ctx.method) && value.startsWith('tarsum')) throw new RegistryError(V2.BLOB_UNKNOWN, { detail: { digest: value } });
    ctx.state.digest = requireDigest(value);
    return next();
  });
  router.param('subject', (value, ctx, next) => {
    ctx.state.subject = requireDigest(value);
    return next();
  });
  router.param('uuid', (value, ctx, next) => {
    ctx.state.uuid = checkUploadId(value);
    return next();
  });
}

export function v1Params(router: Router<RequestState>): void {
  router.param('repository', (value, ctx, next) => {
    ctx.state.repository = parseRepository(value);
    return next();
  });
  router.param('id', (value, ctx, next) => {
    ctx.state.imageId = checkImageId(value);
    return next();
  });
  // docker-registry checked the tag rule only when a tag was written.
  router.param('tag', (value, ctx, next) => {
    ctx.state.tag = ctx.method === 'PUT' ? checkV1Tag(value) : value;
    return next();
  });
}
