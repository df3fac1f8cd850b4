/**
 * /v2/<name>/blobs/uploads/…: POST (new session, monolithic `?digest=`, cross-repository
 * mount), PATCH (chunks, with or without Content-Range), PUT (close with `?digest=`),
 * GET (status) and DELETE (cancel). Each client address may have max_upload_sessions_per_client
 * sessions open (http/upload-quota.ts).
 */
import type { Context } from 'koa';
import { type Digest, parseDigest } from '../../../checksums/digest.js';
import type { Deps } from '../../../deps.js';
import { V2 } from '../../../errors/catalog.js';
import { RegistryError } from '../../../errors/registry-error.js';
import { isName } from '../../../names/v2.js';
import type { V2Services } from '../../../services/index.js';
import { type ChunkRange, type MountRequest, rangeHeader } from '../../../services/v2/uploads.js';
import { ACCESS } from '../../access.js';
import { parseContentRange } from '../../byte-range.js';
import { bodyTooSlow, hasBody, uploadBody } from '../../read-body.js';
import { abortSignal } from '../../request-signal.js';
import { param, type RequestState } from '../../state.js';
import { UploadQuota } from '../../upload-quota.js';
import { requireDigest } from '../../v2-names.js';
import { emptyReply } from '../../v2-response.js';
import type { RouteDefiner } from '../route-table.js';

const UPLOADS = '/v2/*name/blobs/uploads';
const UPLOAD = '/v2/*name/blobs/uploads/:uuid';

export function uploadRoutes(r: RouteDefiner, deps: Deps, { uploads }: V2Services): void {
  const bodySignal = (ctx: Context) => abortSignal(ctx.req);
  const body = (ctx: Context) => uploadBody(ctx, bodyTooSlow(V2.BLOB_UPLOAD_TOO_SLOW));
  const quota = new UploadQuota(deps.config.max_upload_sessions_per_client ?? 0, (name, uuid) => uploads.exists(name, uuid), {
    refused: () => deps.metrics.limits.inc({ limit: 'upload_sessions' }),
  });
  /** Run a request on session `uuid`, keeping the quota's count of it right. */
  const onSession = async <T>(uuid: string, work: () => Promise<T>, ends = false): Promise<T> => {
    const done = quota.using(uuid);
    try {
      const result = await work();
      if (ends) quota.closed(uuid);
      return result;
    } catch (err) {
      if (err instanceof RegistryError && err.code === V2.BLOB_UPLOAD_UNKNOWN.code) quota.closed(uuid);
      throw err;
    } finally {
      done();
    }
  };

  const created = (ctx: Context, name: string, digest: Digest) =>
    emptyReply(ctx, 201, { Location: `/v2/${name}/blobs/${digest.value}`, 'Docker-Content-Digest': digest.value });
  const session = (ctx: Context, name: string, uuid: string, offset: number, status: number) =>
    emptyReply(ctx, status, { Location: `/v2/${name}/blobs/uploads/${uuid}`, 'Docker-Upload-UUID': uuid, Range: rangeHeader(offset) });

  const start = async (ctx: Context & { state: { name?: string } }) => {
    const name = param(ctx.state, 'name');
    const address = ctx.ip;
    const started = await uploads.start(
      name,
      {
        mount: mountRequest(ctx, ctx.state.may),
        monolithic: typeof ctx.query.digest === 'string' ? { digest: requireDigest(ctx.query.digest), body: body(ctx) } : null,
        beforeSession: () => quota.admit(address),
      },
      bodySignal(ctx),
    );
    if (started.kind === 'created') return created(ctx, name, started.digest);
    quota.opened(address, name, started.uuid);
    session(ctx, name, started.uuid, 0, 202);
  };
  r.post(UPLOADS, ACCESS.push, start);
  r.post(`${UPLOADS}/`, ACCESS.push, start);

  r.patch(UPLOAD, ACCESS.push, async (ctx) => {
    const [name, uuid] = [param(ctx.state, 'name'), param(ctx.state, 'uuid')];
    const offset = await onSession(uuid, () => uploads.append(name, uuid, body(ctx), chunkRange(ctx), bodySignal(ctx)));
    session(ctx, name, uuid, offset, 202);
  });

  r.put(UPLOAD, ACCESS.push, async (ctx) => {
    const [name, uuid] = [param(ctx.state, 'name'), param(ctx.state, 'uuid')];
    const digest = requireDigest(typeof ctx.query.digest === 'string' ? ctx.query.digest : null);
    const range = chunkRange(ctx);
    await onSession(uuid, () => uploads.complete(name, uuid, digest, hasBody(ctx.req) ? body(ctx) : null, range, bodySignal(ctx)), true);
    created(ctx, name, digest);
  });

  r.get(UPLOAD, ACCESS.push, async (ctx) => {
    const [name, uuid] = [param(ctx.state, 'name'), param(ctx.state, 'uuid')];
    session(ctx, name, uuid, await onSession(uuid, () => uploads.offset(name, uuid)), 204);
  });

  r.delete(UPLOAD, ACCESS.push, async (ctx) => {
    const [name, uuid] = [param(ctx.state, 'name'), param(ctx.state, 'uuid')];
    await onSession(uuid, () => uploads.cancel(name, uuid), true);
    emptyReply(ctx, 204);
  });
}

/**
 * `?mount=<digest>[&from=<name>]`, read leniently: a mount that cannot be done, even for a
 * malformed digest or source name, is a plain new session (dist-spec, "Mounting a blob from
 * another repository").
 */
function mountRequest(ctx: Context, may: RequestState['may']): MountRequest | null {
  const digest = parseDigest(typeof ctx.query.mount === 'string' ? ctx.query.mount : null);
  const from = typeof ctx.query.from === 'string' ? ctx.query.from : null;
  if (!digest || (from !== null && !isName(from))) return null;
  // With Berth's own auth the caller must be able to pull the source (a mount without `from`
  // could read any repository, so it is a plain upload then), as distribution checks the
  // mount's source (registry/handlers/app.go appendAccessRecords).
  const mayReadFrom = may ? async (source: string | null) => source !== null && may('pull', source) : undefined;
  return mayReadFrom ? { digest, from, mayReadFrom } : { digest, from };
}

/** `Content-Range: <start>-<end>`, checked against Content-Length when both are sent. */
function chunkRange(ctx: Context): ChunkRange | null {
  const header = ctx.get('Content-Range');
  if (!header) return null;
  const range = parseContentRange(header);
  if (!range) throw new RegistryError(V2.RANGE_INVALID, { detail: { 'Content-Range': header } });
  const declared = ctx.get('Content-Length');
  if (declared !== '' && Number(declared) !== range.end - range.start + 1) {
    throw new RegistryError(V2.SIZE_INVALID, { detail: { 'Content-Range': header, 'Content-Length': declared } });
  }
  return range;
}
