/**
 * /v2/<name>/blobs/uploads/…: POST (new session, monolithic `?digest=`, cross-repository
 * mount), PATCH (chunks, with or without Content-Range), PUT (close with `?digest=`),
 * GET (status) and DELETE (cancel).
 */
import type Router from '@koa/router';
import type { Context } from 'koa';
import { type Digest, parseDigest } from '../../../checksums/digest.js';
import type { Deps } from '../../../deps.js';
import { V2 } from '../../../errors/catalog.js';
import { RegistryError } from '../../../errors/registry-error.js';
import { type ChunkRange, rangeHeader } from '../../../services/v2/uploads.js';
import { hasBody } from '../../read-body.js';
import { abortSignal } from '../../request-signal.js';
import type { RequestState } from '../../state.js';
import { checkName, checkUploadId, isName, requireDigest } from '../../v2-names.js';
import { emptyReply } from '../../v2-response.js';
import type { V2Services } from './index.js';

const UPLOADS = '/v2/*name/blobs/uploads';
const UPLOAD = '/v2/*name/blobs/uploads/:uuid';

export function uploadRoutes(router: Router<RequestState>, deps: Deps, { blobs, uploads }: V2Services): void {
  const bodySignal = (ctx: Context) => abortSignal(ctx.req, deps.config.upload_idle_timeout);
  const nameOf = (ctx: Context) => checkName(String(ctx.params.name));

  const created = (ctx: Context, name: string, digest: Digest) =>
    emptyReply(ctx, 201, { Location: `/v2/${name}/blobs/${digest.value}`, 'Docker-Content-Digest': digest.value });
  const session = (ctx: Context, name: string, uuid: string, offset: number, status: number) =>
    emptyReply(ctx, status, { Location: `/v2/${name}/blobs/uploads/${uuid}`, 'Docker-Upload-UUID': uuid, Range: rangeHeader(offset) });

  const start = async (ctx: Context) => {
    const name = nameOf(ctx);
    const signal = bodySignal(ctx);
    // A mount that cannot be done, for whatever reason (even a malformed digest or source
    // name), is a plain new session (dist-spec §1.4): the client then uploads the blob.
    const mount = parseDigest(typeof ctx.query.mount === 'string' ? ctx.query.mount : null);
    const fromText = typeof ctx.query.from === 'string' ? ctx.query.from : null;
    if (mount && (fromText === null || isName(fromText))) {
      const from = fromText;
      // Without `from`, any repository's copy will do ("automatic content discovery"): every
      // user who may push here may read every repository (basic auth has no per-repository rights).
      const available = from ? await blobs.isLinked(from, mount, signal) : true;
      if (available && (await blobs.hasData(mount, signal))) {
        await blobs.link(name, mount, signal);
        return created(ctx, name, mount);
      }
    }
    if (typeof ctx.query.digest === 'string') {
      const digest = requireDigest(ctx.query.digest);
      await blobs.putVerified(digest, ctx.req, signal);
      await blobs.link(name, digest, signal);
      return created(ctx, name, digest);
    }
    session(ctx, name, await uploads.start(name, signal), 0, 202);
  };
  router.post(UPLOADS, start);
  router.post(`${UPLOADS}/`, start);

  router.patch(UPLOAD, async (ctx) => {
    const name = nameOf(ctx);
    const uuid = checkUploadId(ctx.params.uuid as string);
    const offset = await uploads.append(name, uuid, ctx.req, chunkRange(ctx), bodySignal(ctx));
    session(ctx, name, uuid, offset, 202);
  });

  router.put(UPLOAD, async (ctx) => {
    const name = nameOf(ctx);
    const uuid = checkUploadId(ctx.params.uuid as string);
    const digest = requireDigest(typeof ctx.query.digest === 'string' ? ctx.query.digest : null);
    const range = chunkRange(ctx);
    await uploads.complete(name, uuid, digest, hasBody(ctx) ? ctx.req : null, range, bodySignal(ctx));
    created(ctx, name, digest);
  });

  router.get(UPLOAD, async (ctx) => {
    const name = nameOf(ctx);
    const uuid = checkUploadId(ctx.params.uuid as string);
    session(ctx, name, uuid, await uploads.offset(name, uuid), 204);
  });

  router.delete(UPLOAD, async (ctx) => {
    await uploads.cancel(nameOf(ctx), checkUploadId(ctx.params.uuid as string));
    emptyReply(ctx, 204);
  });
}

/** `Content-Range: <start>-<end>` (inclusive, no unit), checked against Content-Length when both are sent. */
function chunkRange(ctx: Context): ChunkRange | null {
  const header = ctx.get('Content-Range');
  if (!header) return null;
  const m = /^(?:bytes[ =])?(\d+)-(\d+)(?:\/(?:\d+|\*))?$/.exec(header.trim());
  const range = m ? { start: Number(m[1]), end: Number(m[2]) } : null;
  if (!range || !Number.isSafeInteger(range.end) || range.end < range.start) {
    throw new RegistryError(V2.RANGE_INVALID, { detail: { 'Content-Range': header } });
  }
  const declared = ctx.get('Content-Length');
  if (declared !== '' && Number(declared) !== range.end - range.start + 1) {
    throw new RegistryError(V2.SIZE_INVALID, { detail: { 'Content-Range': header, 'Content-Length': declared } });
  }
  return range;
}
