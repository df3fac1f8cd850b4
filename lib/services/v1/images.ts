/**
 * V1 images: push (json → layer → checksum) and pull (json, ancestry, layer), with docker-registry
 * 0.9.1's checks, statuses and messages (docker/docker-registry `docker_registry/images.py`), and
 * its faults fixed: writes of one image are serialised, a layer becomes visible only when whole, a
 * checksum PUT before any layer is a 400 (not a 500), and a missing parent ancestry too.
 *
 * The push of one image is serialised as a whole, not only each request: PUT json takes a lease
 * on the image (leases.ts) that its layer PUT renews and its checksum PUT ends. Another client's
 * PUT json of the same image meanwhile waits for that push (up to PUSH_WAIT_MS) instead of
 * resetting it under its feet (its `_checksum` deleted before the checksum PUT: a spurious 400),
 * and then gets what the old registry answers a second push: 409 "Image already exists", which
 * Docker takes as "already pushed". A push whose client went away (no request for the lease's
 * idle time, or its Berth process killed) no longer holds anyone up.
 */
import type { Readable } from 'node:stream';
import { fromHash } from '../../checksums/digest.js';
import { parseStoredChecksums, payloadHasher } from '../../checksums/payload.js';
import { tarsum, tarsumVersionOf } from '../../checksums/tarsum.js';
import { V1 } from '../../errors/catalog.js';
import { RegistryError } from '../../errors/registry-error.js';
import { pyJson } from '../../formats/py-json.js';
import { exists, type StorageDriver, writeFromStream } from '../../storage/driver.js';
import { isNotFound } from '../../storage/errors.js';
import { v1 } from '../../storage/paths.js';
import type { PushLeases } from '../leases.js';
import type { HeldLock, Locks } from '../locks.js';
import { type StoredObject, storedObject } from '../stored-object.js';
import type { V1Hooks } from './hooks.js';
import { type FileEntry, LayerFormatError, listLayerFiles } from './layer-files.js';

export interface TokenChecks {
  belongs?: () => Promise<void>;
  parentAllowed?: (parent: string) => Promise<boolean>;
}

export interface ImageJsonInfo {
  json: Buffer;
  /** layer size, when the layer exists */
  size: number | null;
  checksums: string[];
}

/** How long a PUT json waits for another client's push of the image; below the 60 s a proxy such as nginx waits for an answer. */
const PUSH_WAIT_MS = 30_000;
/** How long after its layer a push keeps the image: Docker sends the checksum at once. */
const CHECKSUM_GAP_MS = 5_000;

export class ImageService {
  constructor(
    private readonly storage: StorageDriver,
    private readonly locks: Locks,
    private readonly leases: PushLeases,
    private readonly hooks: V1Hooks = {},
  ) {}

  async getJson(id: string): Promise<ImageJsonInfo> {
    await this.requireComplete(id);
    const json = await this.read(v1.imageJson(id));
    const size = (await this.layerObject(id))?.size ?? null;
    const checksums = await this.storage.getContent(v1.imageChecksum(id)).then(parseStoredChecksums, (err) => (isNotFound(err) ? [] : Promise.reject(err)));
    return { json, size, checksums };
  }

  /**
   * Token mode adds two checks, in the old order: `belongs` (the index listed this image for
   * the token's repository) and `parentAllowed` (the index lets the token use the parent).
   */
  async putJson(id: string, body: Buffer, token: TokenChecks = {}): Promise<void> {
    const parsed = parseImageJson(body);
    if (!('id' in parsed)) throw new RegistryError(V1.JSON_MISSING_ID);
    if (parsed.id !== id) throw new RegistryError(V1.JSON_WRONG_ID);
    await token.belongs?.();
    const parent = typeof parsed.parent === 'string' && parsed.parent !== '' ? parsed.parent : null;
    const giveUpAt = Date.now() + PUSH_WAIT_MS;
    for (let wait = 10; ; wait = Math.min(wait * 2, 100)) {
      // The lease is looked at first without the lock, which a layer upload holds for as long as it runs.
      if (!(await this.leases.live(id)) && (await this.locks.run(id, (held) => this.writeJson(id, body, parent, token, held)))) return;
      if (Date.now() >= giveUpAt) throw new RegistryError(V1.IMAGE_IN_PROGRESS);
      await new Promise((r) => setTimeout(r, wait));
    }
  }

  /** Under the image's lock: the old checks and writes, and the lease; false while another push holds the image. */
  private async writeJson(id: string, body: Buffer, parent: string | null, token: TokenChecks, held: HeldLock): Promise<boolean> {
    let ancestry: string[] = [id];
    if (parent) {
      if (!(await exists(this.storage, v1.imageJson(parent)))) throw new RegistryError(V1.PARENT_MISSING);
      if (token.parentAllowed && !(await token.parentAllowed(parent))) throw new RegistryError(V1.PARENT_UNAUTHORIZED);
      const parentAncestry = await this.storage.getContent(v1.imageAncestry(parent)).catch((err) => {
        if (isNotFound(err)) throw new RegistryError(V1.PARENT_MISSING);
        throw err;
      });
      ancestry = [id, ...(JSON.parse(parentAncestry.toString('utf8')) as string[])];
    }
    if ((await exists(this.storage, v1.imageJson(id))) && !(await exists(this.storage, v1.imageMark(id)))) {
      throw new RegistryError(V1.IMAGE_EXISTS);
    }
    if (!(await this.leases.claim(id))) return false;
    try {
      await held.check();
      // The mark goes first: from here until PUT checksum, readers get "being uploaded".
      await this.storage.putContent(v1.imageMark(id), 'true');
      await this.storage.delete(v1.imageChecksum(id)).catch((err) => (isNotFound(err) ? undefined : Promise.reject(err)));
      await this.storage.putContent(v1.imageJson(id), body); // byte-exact: it feeds the payload checksum
      await this.storage.putContent(v1.imageAncestry(id), pyJson(ancestry));
      return true;
    } catch (err) {
      await this.leases.release(id);
      throw err;
    }
  }

  /** Stream a layer in; its payload checksum is computed on the way and stored as `_checksum`. */
  async putLayer(id: string, body: Readable, signal?: AbortSignal): Promise<void> {
    await this.locks.run(id, async (held) => {
      const json = await this.read(v1.imageJson(id));
      if ((await exists(this.storage, v1.imageLayer(id))) && !(await exists(this.storage, v1.imageMark(id)))) {
        throw new RegistryError(V1.IMAGE_EXISTS);
      }
      const hash = payloadHasher(json);
      // A failed upload ends the push's lease: its client is told, and a retry starts over with PUT json.
      await this.leases.during(
        id,
        async () => {
          // A failed write leaves `body` alone: it is destroyed here, so it is not left waiting.
          await writeFromStream(this.storage, v1.imageLayer(id), body, signal, (chunk) => hash.update(chunk)).catch((err) => {
            body.destroy();
            throw err;
          });
          await held.check();
          await this.storage.putContent(v1.imageChecksum(id), pyJson([fromHash('sha256', hash).value]));
        },
        CHECKSUM_GAP_MS,
      );
    });
  }

  /**
   * `PUT checksum`: the payload checksum Docker ≥ 0.10 sends, compared with the one computed at
   * upload. A client that sends only `X-Docker-Checksum` (Docker < 0.10) gets its tarsum checked
   * against the stored layer instead, as docker-registry 0.7–0.9.0 did, rather than the 412 of 0.9.1.
   */
  async putChecksum(id: string, payloadChecksum: string | undefined, tarsumChecksum?: string): Promise<void> {
    if (payloadChecksum === undefined && tarsumChecksum) return this.putTarsum(id, tarsumChecksum);
    if (payloadChecksum === undefined) {
      throw new RegistryError(V1.CHECKSUM_PAYLOAD_MISSING);
    }
    if (payloadChecksum === '') throw new RegistryError(V1.CHECKSUM_EMPTY);
    await this.locks.run(id, async (held) => {
      await this.read(v1.imageJson(id));
      if (!(await exists(this.storage, v1.imageMark(id)))) throw new RegistryError(V1.CHECKSUM_CANNOT_SET);
      await this.endingPush(id, async () => {
        const stored = await this.storage.getContent(v1.imageChecksum(id)).catch((err) => {
          // The Python registry crashed here (issue #527): a checksum before any layer.
          if (isNotFound(err)) throw new RegistryError(V1.CHECKSUM_NO_LAYER);
          throw err;
        });
        if (!parseStoredChecksums(stored).includes(payloadChecksum)) throw new RegistryError(V1.CHECKSUM_MISMATCH);
        await held.check();
        await this.storage.delete(v1.imageMark(id));
      });
    });
    this.hooks.imageComplete?.(id);
  }

  private async putTarsum(id: string, checksum: string): Promise<void> {
    const version = tarsumVersionOf(checksum);
    if (!version) throw new RegistryError(V1.CHECKSUM_FORMAT);
    await this.locks.run(id, async (held) => {
      const json = await this.read(v1.imageJson(id));
      if (!(await exists(this.storage, v1.imageMark(id)))) throw new RegistryError(V1.CHECKSUM_CANNOT_SET);
      await this.endingPush(id, async () => {
        const layer = await this.storage.reader(v1.imageLayer(id)).catch((err) => {
          if (isNotFound(err)) throw new RegistryError(V1.CHECKSUM_NO_LAYER);
          throw err;
        });
        // A layer that is not a tar (or is cut short) cannot match any tarsum.
        const computed = await tarsum(layer, json, version).catch(() => null);
        if (computed !== checksum) throw new RegistryError(V1.CHECKSUM_MISMATCH);
        const stored = await this.storage.getContent(v1.imageChecksum(id)).then(parseStoredChecksums, () => [] as string[]);
        await held.check();
        await this.storage.putContent(v1.imageChecksum(id), pyJson([...stored, computed]));
        await this.storage.delete(v1.imageMark(id));
      });
    });
    this.hooks.imageComplete?.(id);
  }

  /** The checksum step of a push: done or failed, the push is over and its lease goes. */
  private async endingPush(id: string, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } finally {
      await this.leases.release(id);
    }
  }

  /** The `_files` listing, computed from the layer on first request and kept (a complete layer never changes). */
  async files(id: string): Promise<Buffer> {
    await this.requireComplete(id);
    const cached = await this.storage.getContent(v1.imageFiles(id)).catch((err) => (isNotFound(err) ? null : Promise.reject(err)));
    if (cached) return cached;
    const found = await this.layerObject(id);
    if (!found) throw new RegistryError(V1.IMAGE_NOT_FOUND);
    const layer = await this.storage.reader(found.key);
    let entries: FileEntry[];
    try {
      entries = await listLayerFiles(layer);
    } catch (err) {
      if (err instanceof LayerFormatError) throw new RegistryError(V1.LAYER_FORMAT);
      throw err;
    }
    const body = Buffer.from(pyJson(entries));
    await this.storage.putContent(v1.imageFiles(id), body);
    return body;
  }

  async getAncestry(id: string): Promise<string[]> {
    await this.requireComplete(id);
    return JSON.parse((await this.read(v1.imageAncestry(id))).toString('utf8')) as string[];
  }

  /**
   * An image another part of Berth derives (the bridge, from a V2 image), complete at once: its
   * JSON, ancestry and payload checksum; its layer is where the layerOf hook says, once
   * `attachLayer` has run. An image already here (even one a V1 client is still pushing) is
   * never touched: false, and the caller decides whether that image will do.
   */
  async putDerived(id: string, json: Buffer, ancestry: string[], checksum: string, attachLayer: () => Promise<void>): Promise<boolean> {
    return this.locks.run(id, async () => {
      if (await exists(this.storage, v1.imageJson(id))) return false;
      await attachLayer();
      await this.storage.putContent(v1.imageAncestry(id), pyJson(ancestry));
      await this.storage.putContent(v1.imageChecksum(id), pyJson([checksum]));
      await this.storage.putContent(v1.imageJson(id), json); // last: the image exists once its JSON does
      return true;
    });
  }

  /** Whether an image is here (its JSON is). */
  has(id: string): Promise<boolean> {
    return exists(this.storage, v1.imageJson(id));
  }

  /** A complete image's layer, to be sent as it is (404 when there is none). */
  async layerSource(id: string): Promise<StoredObject> {
    await this.requireComplete(id);
    const found = await this.layerObject(id);
    if (!found) throw new RegistryError(V1.IMAGE_NOT_FOUND);
    return storedObject(this.storage, found.key, found.size);
  }

  /** Where an image's layer is: its own, or (an image made from a V2 image) the one a hook names. */
  private async layerObject(id: string): Promise<{ key: string; size: number } | null> {
    try {
      return { key: v1.imageLayer(id), size: (await this.storage.stat(v1.imageLayer(id))).size };
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    return (await this.hooks.layerOf?.(id)) ?? null;
  }

  private async requireComplete(id: string): Promise<void> {
    if (await exists(this.storage, v1.imageMark(id))) throw new RegistryError(V1.IMAGE_IN_PROGRESS);
  }

  private async read(path: string): Promise<Buffer> {
    try {
      return await this.storage.getContent(path);
    } catch (err) {
      if (isNotFound(err)) throw new RegistryError(V1.IMAGE_NOT_FOUND);
      throw err;
    }
  }
}

function parseImageJson(body: Buffer): Record<string, unknown> {
  try {
    const parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body)) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed) && Object.keys(parsed).length > 0) return parsed as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new RegistryError(V1.INVALID_JSON);
}
