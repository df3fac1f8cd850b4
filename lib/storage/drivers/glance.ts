/**
 * OpenStack Glance, as docker-registry's glance driver laid data out (docker/docker-registry 0.6.x
 * `lib/storage/glance.py`, later autumnw/docker-registry-driver-glance
 * `docker_registry/drivers/glance.py`), on the Glance v2 API: one Glance image per V1 image
 * (disk_format raw, container_format docker, property `docker_id`; v2 reserves `id`), the layer as
 * the image data, every other `images/<id>/<file>` as the property `meta_<file>`, and everything
 * else (`repositories/`, `images/<id>/_files`, V2 data) in the `storage_alternate` driver.
 *
 * The alternate is also a real fallback, as the old README promised: when Glance fails,
 * image objects are written to the alternate, reads look there first (a fallback copy is
 * always the newer one: a successful Glance write removes it), and `scripts/glance-restore`
 * (lib/maintenance/glance-restore.ts) moves them back once Glance is healthy.
 *
 * A layer is uploaded into a staging image and only takes the `docker_id` at commit, when the
 * previous image's properties are copied over and the previous image is deleted: readers see
 * the old layer or the new one, never a half-uploaded one.
 */
import { PassThrough, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { commitGate } from '../commit-gate.js';
import {
  type Capabilities,
  type FileInfo,
  type Leftover,
  type LeftoverRule,
  type ObjectWriter,
  type ReadOptions,
  STREAM_CHUNK,
  type StorageDriver,
  writeFromStream,
} from '../driver.js';
import { driverFailure, invalidPath, isNotFound, isUnreachable, notFound, StorageError, unavailable } from '../errors.js';
import { type GlanceApi, GlanceHttpError, type GlanceImage, type PatchOp } from '../openstack/glance-api.js';
import type { StoreHealth } from '../outage.js';

type Route = { kind: 'alternate' } | { kind: 'images' } | { kind: 'image'; id: string } | { kind: 'file'; id: string; file: string };

const META = 'meta_';
const BINARY_MARK = 'berth-b64:';

export interface FallbackEvent {
  op: string;
  path: string;
  error: Error;
}

export class GlanceDriver implements StorageDriver {
  readonly name = 'glance';
  readonly capabilities: Capabilities = { ranges: true, redirect: false, localFiles: false };

  constructor(
    private readonly api: GlanceApi,
    readonly alternate: StorageDriver,
    /** told whenever Glance failed and the alternate took the object instead */
    private readonly onFallback: (e: FallbackEvent) => void = () => {},
    /** told when Glance cannot be reached and when it answers again (lib/storage/outage.ts) */
    private readonly health?: StoreHealth,
  ) {}

  async getContent(path: string, signal?: AbortSignal): Promise<Buffer> {
    const r = this.route(path);
    if (r.kind !== 'file') return this.alternate.getContent(path, signal);
    const copy = await this.fromAlternate(() => this.alternate.getContent(path, signal));
    if (copy) return copy;
    const img = await this.glance(path, () => this.current(r.id, signal));
    if (r.file === 'layer') return readAll(await this.layerReader(path, img, {}, signal));
    return decode(this.property(path, img, r.file));
  }

  async putContent(path: string, data: Buffer | string, signal?: AbortSignal): Promise<void> {
    const r = this.route(path);
    if (r.kind !== 'file') return this.alternate.putContent(path, data, signal);
    if (r.file === 'layer') return void (await writeFromStream(this, path, Readable.from([Buffer.from(data)]), signal));
    try {
      await this.glance(path, async () => {
        const img = await this.ensureImage(r.id, signal);
        await this.setProperty(img, `${META}${r.file}`, encode(Buffer.from(data)), signal);
      });
    } catch (err) {
      if (!isFailure(err)) throw err;
      this.onFallback({ op: 'put', path, error: err as Error });
      return this.alternate.putContent(path, data, signal);
    }
    await this.dropAlternateCopy(path);
  }

  async reader(path: string, options: ReadOptions = {}): Promise<Readable> {
    const r = this.route(path);
    if (r.kind !== 'file') return this.alternate.reader(path, options);
    const copy = await this.fromAlternate(() => this.alternate.reader(path, options));
    if (copy) return copy;
    const img = await this.glance(path, () => this.current(r.id, options.signal));
    if (r.file === 'layer') return this.layerReader(path, img, options, options.signal);
    const data = decode(this.property(path, img, r.file));
    const start = Math.min(options.offset ?? 0, data.length);
    return Readable.from([data.subarray(start, options.length === undefined ? undefined : start + options.length)]);
  }

  async writer(path: string, signal?: AbortSignal): Promise<ObjectWriter> {
    const r = this.route(path);
    if (r.kind !== 'file') return this.alternate.writer(path, signal);
    if (r.file !== 'layer') return bufferedWriter((data) => this.putContent(path, data, signal));
    try {
      return await this.glance(path, () => this.layerWriter(path, r.id, signal));
    } catch (err) {
      if (!isFailure(err)) throw err;
      this.onFallback({ op: 'write', path, error: err as Error });
      return this.alternate.writer(path, signal);
    }
  }

  async stat(path: string, signal?: AbortSignal): Promise<FileInfo> {
    const r = this.route(path);
    if (r.kind === 'alternate') {
      if (path !== '') return this.alternate.stat(path, signal);
      await this.list('', signal);
      return { path, size: 0, modTime: new Date(0), isDir: true };
    }
    if (r.kind !== 'file') {
      await this.list(path, signal);
      return { path, size: 0, modTime: new Date(0), isDir: true };
    }
    const copy = await this.fromAlternate(() => this.alternate.stat(path, signal));
    if (copy) return copy;
    const img = await this.glance(path, () => this.current(r.id, signal));
    const modTime = new Date(img.updated_at);
    if (r.file === 'layer') {
      if (img.status !== 'active') throw notFound(this.name, path);
      return { path, size: img.size ?? 0, modTime, isDir: false };
    }
    return { path, size: decode(this.property(path, img, r.file)).length, modTime, isDir: false };
  }

  async list(dir: string, signal?: AbortSignal): Promise<string[]> {
    const r = this.route(dir);
    const names = new Set<string>();
    const fromAlternate = await this.fromAlternate(() => this.alternate.list(dir, signal));
    for (const n of fromAlternate ?? []) names.add(n);
    if (dir === '') {
      if ((await this.glance(dir, () => this.api.list({ container_format: 'docker' }, signal))).some((i) => typeof i.docker_id === 'string'))
        names.add('images');
    } else if (r.kind === 'images') {
      for (const img of await this.glance(dir, () => this.api.list({ container_format: 'docker' }, signal))) {
        if (typeof img.docker_id === 'string') names.add(`images/${img.docker_id}`);
      }
    } else if (r.kind === 'image') {
      const img = await this.glance(dir, () => this.current(r.id, signal)).catch((err) => (isNotFound(err) ? null : Promise.reject(err)));
      if (img?.status === 'active') names.add(`${dir}/layer`);
      for (const key of Object.keys(img ?? {})) if (key.startsWith(META)) names.add(`${dir}/${key.slice(META.length)}`);
    }
    if (names.size === 0) throw notFound(this.name, dir);
    return [...names].sort();
  }

  async delete(path: string, signal?: AbortSignal): Promise<void> {
    const r = this.route(path);
    if (r.kind === 'alternate') return this.alternate.delete(path, signal);
    let found = (await this.fromAlternate(() => this.alternate.delete(path, signal).then(() => true), false)) ?? false;
    const images = await this.glance(path, () => this.byDockerId(r.kind === 'images' ? undefined : r.id, signal));
    if (r.kind === 'file') {
      const img = images[0];
      if (img && r.file === 'layer' && img.status === 'active') {
        await this.glance(path, () => this.replaceWithoutData(img, signal));
        found = true;
      } else if (img && typeof img[`${META}${r.file}`] === 'string') {
        await this.glance(path, () => this.api.patch(img.id, [{ op: 'remove', path: `/${META}${r.file}` }], signal));
        found = true;
      }
    } else {
      for (const img of images) await this.glance(path, () => this.api.delete(img.id, signal));
      found ||= images.length > 0;
    }
    if (!found) throw notFound(this.name, path);
  }

  async move(from: string, to: string, signal?: AbortSignal): Promise<void> {
    if (this.route(from).kind === 'alternate' && this.route(to).kind === 'alternate') return this.alternate.move(from, to, signal);
    await writeFromStream(this, to, await this.reader(from, signal ? { signal } : {}), signal);
    await this.delete(from, signal);
  }

  async redirectUrl(): Promise<string | null> {
    return null;
  }

  async close(): Promise<void> {
    await this.alternate.close();
  }

  /**
   * Staging images untouched for `rule.maxAgeMs` (a layer upload that a crash never committed,
   * in whatever state Glance left it: `queued`, `saving`, `killed`, or `active` when only the
   * commit was missing), and the alternate's own leftovers. Glance does not say which process
   * uploads into an image, so age is the only sign: keep it above the longest layer upload.
   */
  async leftovers(rule: LeftoverRule): Promise<Leftover[]> {
    const now = rule.now ?? Date.now();
    const found: Leftover[] = [];
    for (const img of await this.stagingUploads(rule.signal)) {
      const lastActive = new Date(Math.max(Date.parse(img.created_at) || 0, Date.parse(img.updated_at) || 0));
      if (now - lastActive.getTime() <= rule.maxAgeMs) continue;
      found.push({
        kind: 'staging-image',
        name: `glance image ${img.id} (${String(img.name)}, ${img.status})`,
        size: img.size ?? null,
        lastActive,
        reason: `a layer upload never committed, untouched for ${((now - lastActive.getTime()) / 3_600_000).toFixed(1)} h`,
        remove: (signal) => this.abandonUpload(img, signal).catch((err) => (isNotFound(err) ? undefined : Promise.reject(err))),
      });
    }
    return [...found, ...((await this.alternate.leftovers?.(rule)) ?? [])];
  }

  // --- what the operator tools work with (lib/maintenance/glance-restore.ts) ---

  /** Whether `path` is an image object Glance keeps (a layer or a `meta_` property) rather than the alternate. */
  keepsInGlance(path: string): boolean {
    return this.route(path).kind === 'file';
  }

  /**
   * Move the alternate's copy of an image object into Glance, never falling back (a restore
   * onto the alternate would move nothing while saying it did). The copy is removed only once
   * Glance has the object.
   */
  async moveIntoGlance(path: string, signal?: AbortSignal): Promise<void> {
    const r = this.route(path);
    if (r.kind !== 'file') throw invalidPath(this.name, path, 'not an image object Glance keeps');
    if (r.file === 'layer') {
      const writer = await this.glance(path, () => this.layerWriter(path, r.id, signal));
      try {
        await pipeline(await this.alternate.reader(path, signal ? { signal } : {}), writer.stream);
      } catch (err) {
        await writer.cancel();
        throw err;
      }
      await writer.commit(); // removes the alternate copy once Glance has the layer
    } else {
      const data = await this.alternate.getContent(path, signal);
      await this.glance(path, async () => this.setProperty(await this.ensureImage(r.id, signal), `${META}${r.file}`, encode(data), signal));
      await this.dropAlternateCopy(path);
    }
  }

  /** Staging images: layer uploads not committed yet, or never (a crash, a cancel whose delete failed). */
  async stagingUploads(signal?: AbortSignal): Promise<GlanceImage[]> {
    const images = await this.glance('images', () => this.api.list({ container_format: 'docker' }, signal));
    return images.filter((img) => typeof img.docker_staging_id === 'string');
  }

  /** Delete the staging image of an upload given up on. */
  async abandonUpload(staging: GlanceImage, signal?: AbortSignal): Promise<void> {
    await this.glance('images', () => this.api.delete(staging.id, signal));
  }

  // --- routing and Glance helpers ---

  private route(path: string): Route {
    const parts = path.split('/');
    if (parts[0] !== 'images') return { kind: 'alternate' };
    if (parts.length === 1) return { kind: 'images' };
    const id = parts[1] as string;
    if (parts.length === 2) return { kind: 'image', id };
    if (parts.length === 3 && parts[2] !== '_files') return { kind: 'file', id, file: parts[2] as string };
    return { kind: 'alternate' }; // _files lives on the alternate since docker-registry 0.6.6
  }

  /** Images holding a docker id, newest first: the newest is the current one, so a committed layer shows at once. */
  private async byDockerId(id: string | undefined, signal?: AbortSignal): Promise<GlanceImage[]> {
    const images = (await this.api.list({ container_format: 'docker', ...(id === undefined ? {} : { docker_id: id }) }, signal)).filter(
      (i) => typeof i.docker_id === 'string',
    );
    return images.sort((a, b) => b.created_at.localeCompare(a.created_at) || b.id.localeCompare(a.id));
  }

  private async current(id: string, signal?: AbortSignal): Promise<GlanceImage> {
    const img = (await this.byDockerId(id, signal))[0];
    if (!img) throw notFound(this.name, `images/${id}`);
    return img;
  }

  /** The image for `id`, created if needed. Racing creators converge on the newest and delete the other empty ones. */
  private async ensureImage(id: string, signal?: AbortSignal): Promise<GlanceImage> {
    const existing = await this.byDockerId(id, signal);
    if (existing[0]) return existing[0];
    await this.api.create({ name: `docker-image-${id}`, docker_id: id }, signal);
    const [keep, ...extra] = await this.byDockerId(id, signal);
    for (const img of extra)
      if (!Object.keys(img).some((k) => k.startsWith(META)) && img.status === 'queued') await this.api.delete(img.id, signal).catch(() => {});
    if (!keep) throw new Error(`glance lost the image just created for ${id}`);
    return keep;
  }

  private property(path: string, img: GlanceImage, file: string): string {
    const value = img[`${META}${file}`];
    if (typeof value !== 'string') throw notFound(this.name, path);
    return value;
  }

  private async setProperty(img: GlanceImage, name: string, value: string, signal?: AbortSignal): Promise<void> {
    const op = typeof img[name] === 'string' ? 'replace' : 'add';
    await this.api.patch(img.id, [{ op, path: `/${name}`, value }], signal);
  }

  private async layerReader(path: string, img: GlanceImage, options: ReadOptions, signal?: AbortSignal): Promise<Readable> {
    if (img.status !== 'active') throw notFound(this.name, path);
    const start = options.offset ?? 0;
    if (options.length === 0 || start >= (img.size ?? 0)) return Readable.from([]);
    return this.glance(path, () => this.api.download(img.id, start, options.length, signal));
  }

  private async layerWriter(path: string, id: string, signal?: AbortSignal): Promise<ObjectWriter> {
    const staging = await this.api.create({ name: `docker-layer-staging-${id}`, docker_staging_id: id }, signal);
    const body = new PassThrough({ highWaterMark: STREAM_CHUNK });
    const abort = new AbortController();
    // A write waiting on the body when Glance goes away fails as unavailable, not as a bare abort.
    const gate = commitGate(body, (cause) => (cause ? this.storageError(cause, path) : new Error('the upload was aborted')));
    const uploaded = this.api.upload(staging.id, body, abort.signal);
    uploaded.catch((err: Error) => gate.fail(this.storageError(err, path))); // observed by commit(); a writer waiting to drain must not hang
    const stream = gate.stream;
    let state: 'open' | 'committed' | 'cancelled' = 'open';
    const cancel = async () => {
      if (state !== 'open') return;
      state = 'cancelled';
      stream.destroy();
      abort.abort();
      body.destroy();
      await this.api.delete(staging.id).catch(() => {});
    };
    return {
      stream,
      size: gate.size,
      commit: async () => {
        if (state !== 'open') throw driverFailure(this.name, path, new Error(`writer already ${state}`));
        gate.release();
        let previous: GlanceImage[];
        try {
          await uploaded;
          const stored = await this.api.get(staging.id, signal);
          if (stored.status !== 'active' || (stored.size ?? 0) !== gate.size()) {
            throw new Error(`glance holds ${stored.size ?? 0} bytes in status ${stored.status} after an upload of ${gate.size()}`);
          }
          previous = await this.byDockerId(id, signal);
          const ops: PatchOp[] = [
            { op: 'add', path: '/docker_id', value: id },
            { op: 'remove', path: '/docker_staging_id' },
            { op: 'replace', path: '/name', value: `docker-image-${id}` },
          ];
          for (const [key, value] of Object.entries(previous[0] ?? {})) {
            if (key.startsWith(META) && typeof value === 'string') ops.push({ op: 'add', path: `/${key}`, value });
          }
          await this.api.patch(staging.id, ops, signal); // from here on the new layer is the current one
        } catch (err) {
          await cancel();
          this.fail(err, path);
        }
        state = 'committed';
        // Older images are shadowed by the new one; removing them is housekeeping, not part of the commit.
        for (const old of previous) await this.api.delete(old.id).catch(() => {});
        await this.dropAlternateCopy(path);
      },
      cancel,
    };
  }

  /** Glance cannot drop an image's data: replace the image by a data-less one with the same properties. */
  private async replaceWithoutData(img: GlanceImage, signal?: AbortSignal): Promise<void> {
    const fields: Record<string, string> = { name: String(img.name ?? `docker-image-${img.docker_id}`), docker_id: String(img.docker_id) };
    for (const [key, value] of Object.entries(img)) if (key.startsWith(META) && typeof value === 'string') fields[key] = value;
    await this.api.create(fields, signal);
    await this.api.delete(img.id, signal);
  }

  /**
   * An alternate copy of an image object (left by a Glance outage), or null. For reads a failing
   * alternate counts as "no copy", so that Glance still answers for what it holds.
   */
  private async fromAlternate<T>(op: () => Promise<T>, lenient = true): Promise<T | null> {
    try {
      return await op();
    } catch (err) {
      if (isNotFound(err) || (lenient && isFailure(err))) return null;
      throw err;
    }
  }

  private async dropAlternateCopy(path: string): Promise<void> {
    await this.alternate.delete(path).catch((err) => (isNotFound(err) ? undefined : Promise.reject(err)));
  }

  /** Run a Glance call, turning its failures into storage errors. */
  private async glance<T>(path: string, op: () => Promise<T>): Promise<T> {
    try {
      const result = await op();
      this.health?.answered(this.name);
      return result;
    } catch (err) {
      this.fail(err, path);
    }
  }

  private fail(err: unknown, path: string): never {
    throw this.storageError(err, path);
  }

  /** The StorageError for a failed Glance call: a Glance that cannot be reached is `unavailable`, told to `health`. */
  private storageError(err: unknown, path: string): StorageError {
    if (err instanceof StorageError) return err;
    if (isUnreachable(err, err instanceof GlanceHttpError ? err.status : undefined)) {
      const e = unavailable(this.name, path, err);
      this.health?.unreachable(this.name, e);
      return e;
    }
    if (err instanceof GlanceHttpError) this.health?.answered(this.name);
    if (err instanceof GlanceHttpError && err.imageMissing) return notFound(this.name, path);
    return driverFailure(this.name, path, err);
  }
}

/** Glance being down or broken (not a missing object, not a bad path): the cases the alternate covers. */
function isFailure(err: unknown): boolean {
  return err instanceof StorageError && (err.kind === 'driver_failure' || err.kind === 'unavailable');
}

/** Property values must be strings: text as-is, anything else base64 behind a marker. */
function encode(data: Buffer): string {
  const text = data.toString('utf8');
  if (Buffer.from(text, 'utf8').equals(data) && !text.startsWith(BINARY_MARK)) return text;
  return BINARY_MARK + data.toString('base64');
}

function decode(value: string): Buffer {
  return value.startsWith(BINARY_MARK) ? Buffer.from(value.slice(BINARY_MARK.length), 'base64') : Buffer.from(value, 'utf8');
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Small objects streamed in: collect them and store in one put on commit. */
function bufferedWriter(put: (data: Buffer) => Promise<void>): ObjectWriter {
  const chunks: Buffer[] = [];
  let size = 0;
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk);
      size += chunk.length;
      cb();
    },
  });
  return { stream, size: () => size, commit: () => put(Buffer.concat(chunks)), cancel: async () => void stream.destroy() };
}
