/**
 * S3 (AWS, or an S3-compatible store such as Ceph RGW). Keys are `storage_path` + path, as
 * docker-registry's boto driver wrote them, so an existing bucket is served as-is. Writes
 * are multipart uploads that complete only on commit (an aborted one leaves no object),
 * reads are ranged GETs, and a directory is a key prefix.
 */

import { PassThrough, Readable } from 'node:stream';
import type { ListPartsCommandOutput, S3Client } from '@aws-sdk/client-s3';
import { loadS3Sdk } from '../../optional-modules.js';
import { commitGate } from '../commit-gate.js';
import type { Capabilities, FileInfo, Leftover, LeftoverRule, ObjectWriter, ReadOptions, StorageDriver } from '../driver.js';
import { driverFailure, isUnreachable, notFound, StorageError, unavailable } from '../errors.js';
import type { StoreHealth } from '../outage.js';
import type { S3Settings } from './s3-settings.js';

const PART_SIZE = 8 * 1024 * 1024;
const UPLOAD_QUEUE = 4; // parts in flight: memory per upload ≈ PART_SIZE × (UPLOAD_QUEUE + 1)
const MAX_SINGLE_COPY = 5 * 1024 ** 3; // CopyObject's limit; larger objects are copied part by part
const COPY_PART = 512 * 1024 * 1024;
const REDIRECT_SECONDS = 20 * 60;
const CONNECT_TIMEOUT_MS = 10_000;
const IDLE_TIMEOUT_MS = 120_000;
/** Where Berth (and docker-registry before it) writes under the store's prefix: only uploads there are the store's. */
const STORE_DIRS = ['images/', 'repositories/', 'docker/', 'berth/'];

export class S3Driver implements StorageDriver {
  readonly name = 's3';
  private readonly sdk = loadS3Sdk();
  readonly capabilities: Capabilities = { ranges: true, redirect: true, localFiles: false };
  readonly client: S3Client;

  constructor(
    private readonly s: S3Settings,
    /** told when RGW/S3 cannot be reached and when it answers again (lib/storage/outage.ts) */
    private readonly health?: StoreHealth,
  ) {
    this.client = new this.sdk.client.S3Client({
      region: s.region,
      ...(s.endpoint ? { endpoint: s.endpoint } : {}),
      forcePathStyle: s.forcePathStyle,
      ...(s.credentials ? { credentials: s.credentials } : {}),
      // S3-compatible stores (RGW, Swift) refuse the SDK's default aws-chunked trailing checksums.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 5, // the SDK's standard retry: exponential backoff with jitter, bounded
      // A store that stops answering must fail the request, not hang it; a long transfer that
      // keeps moving is fine, so the limit is on silence, not on total time.
      requestHandler: { connectionTimeout: CONNECT_TIMEOUT_MS, socketTimeout: IDLE_TIMEOUT_MS },
    });
  }

  async getContent(path: string, signal?: AbortSignal): Promise<Buffer> {
    const res = await this.send(new this.sdk.client.GetObjectCommand({ Bucket: this.s.bucket, Key: this.key(path) }), path, signal);
    return Buffer.from(await (res.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
  }

  async putContent(path: string, data: Buffer | string, signal?: AbortSignal): Promise<void> {
    const body = Buffer.from(data);
    await this.send(
      new this.sdk.client.PutObjectCommand({ Bucket: this.s.bucket, Key: this.key(path), Body: body, ContentLength: body.length, ...this.sse() }),
      path,
      signal,
    );
  }

  async reader(path: string, options: ReadOptions = {}): Promise<Readable> {
    const key = this.key(path);
    const start = options.offset ?? 0;
    if (options.length === 0 || start > 0) {
      // S3 answers 416 for a range that starts at or past the end; we answer an empty stream.
      const { size } = await this.stat(path, options.signal);
      if (options.length === 0 || start >= size) return Readable.from([]);
    }
    const range = start > 0 || options.length !== undefined ? `bytes=${start}-${options.length === undefined ? '' : start + options.length - 1}` : undefined;
    const res = await this.send(
      new this.sdk.client.GetObjectCommand({ Bucket: this.s.bucket, Key: key, ...(range ? { Range: range } : {}) }),
      path,
      options.signal,
    );
    return res.Body as Readable;
  }

  async writer(path: string): Promise<ObjectWriter> {
    const key = this.key(path);
    const body = new PassThrough({ highWaterMark: PART_SIZE });
    const upload = new this.sdk.Upload({
      client: this.client,
      params: { Bucket: this.s.bucket, Key: key, Body: body, ...this.sse() },
      partSize: PART_SIZE,
      queueSize: UPLOAD_QUEUE,
      leavePartsOnError: false,
    });
    const gate = commitGate(body, (cause) => (cause ? this.storageError(cause, path) : new Error('the upload was aborted')));
    const done = upload.done();
    // Observed by commit(); meanwhile a failure must also stop the writer, or a caller
    // waiting for the body to drain would wait forever.
    done.catch((err: Error) => gate.fail(this.storageError(err, path)));
    const stream = gate.stream;
    let state: 'open' | 'committed' | 'cancelled' = 'open';
    return {
      stream,
      size: gate.size,
      commit: async () => {
        if (state !== 'open') throw driverFailure(this.name, path, new Error(`writer already ${state}`));
        state = 'committed';
        gate.release();
        try {
          await done;
        } catch (err) {
          this.fail(err, path);
        }
      },
      cancel: async () => {
        if (state !== 'open') return;
        state = 'cancelled';
        stream.destroy();
        await upload.abort().catch(() => {});
        body.destroy();
      },
    };
  }

  async stat(path: string, signal?: AbortSignal): Promise<FileInfo> {
    if (path !== '') {
      try {
        const head = await this.client.send(
          new this.sdk.client.HeadObjectCommand({ Bucket: this.s.bucket, Key: this.key(path) }),
          signal ? { abortSignal: signal } : {},
        );
        this.health?.answered(this.name);
        return { path, size: head.ContentLength ?? 0, modTime: head.LastModified ?? new Date(0), isDir: false };
      } catch (err) {
        if (!isMissing(err)) this.fail(err, path);
        this.health?.answered(this.name);
      }
    }
    const some = await this.send(new this.sdk.client.ListObjectsV2Command({ Bucket: this.s.bucket, Prefix: this.dirPrefix(path), MaxKeys: 1 }), path, signal);
    if ((some.KeyCount ?? 0) > 0) return { path, size: 0, modTime: new Date(0), isDir: true };
    throw notFound(this.name, path);
  }

  async list(dir: string, signal?: AbortSignal): Promise<string[]> {
    const prefix = this.dirPrefix(dir);
    const children = new Set<string>();
    let token: string | undefined;
    do {
      const page = await this.send(
        new this.sdk.client.ListObjectsV2Command({ Bucket: this.s.bucket, Prefix: prefix, Delimiter: '/', ...(token ? { ContinuationToken: token } : {}) }),
        dir,
        signal,
      );
      for (const o of page.Contents ?? []) {
        const name = o.Key?.slice(prefix.length);
        if (name) children.add(name); // '' is a directory-marker key, not a child
      }
      for (const p of page.CommonPrefixes ?? []) {
        const name = p.Prefix?.slice(prefix.length).replace(/\/$/, '');
        if (name) children.add(name);
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    if (children.size === 0) throw notFound(this.name, dir);
    return [...children].sort().map((n) => (dir ? `${dir}/${n}` : n));
  }

  async delete(path: string, signal?: AbortSignal): Promise<void> {
    let found = false;
    try {
      await this.client.send(new this.sdk.client.HeadObjectCommand({ Bucket: this.s.bucket, Key: this.key(path) }), signal ? { abortSignal: signal } : {});
      await this.send(new this.sdk.client.DeleteObjectCommand({ Bucket: this.s.bucket, Key: this.key(path) }), path, signal);
      found = true;
    } catch (err) {
      if (!isMissing(err)) this.fail(err, path);
    }
    // Then everything under `path/` (the trailing '/' keeps `a/bc` safe when deleting `a/b`).
    const prefix = this.dirPrefix(path);
    let token: string | undefined;
    do {
      const page = await this.send(
        new this.sdk.client.ListObjectsV2Command({ Bucket: this.s.bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }),
        path,
        signal,
      );
      const keys = (page.Contents ?? []).map((o: { Key?: string }) => ({ Key: o.Key as string }));
      if (keys.length > 0) {
        found = true;
        const res = await this.send(new this.sdk.client.DeleteObjectsCommand({ Bucket: this.s.bucket, Delete: { Objects: keys, Quiet: true } }), path, signal);
        if (res.Errors?.length) throw driverFailure(this.name, path, new Error(`could not delete ${res.Errors.length} object(s): ${res.Errors[0]?.Message}`));
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    if (!found) throw notFound(this.name, path);
  }

  async move(from: string, to: string, signal?: AbortSignal): Promise<void> {
    const { size } = await this.stat(from, signal);
    const source = `${this.s.bucket}/${this.key(from).split('/').map(encodeURIComponent).join('/')}`;
    if (size <= MAX_SINGLE_COPY) {
      await this.send(new this.sdk.client.CopyObjectCommand({ Bucket: this.s.bucket, Key: this.key(to), CopySource: source, ...this.sse() }), from, signal);
    } else {
      await this.multipartCopy(source, to, size, signal);
    }
    await this.send(new this.sdk.client.DeleteObjectCommand({ Bucket: this.s.bucket, Key: this.key(from) }), from, signal);
  }

  async redirectUrl(path: string): Promise<string | null> {
    await this.stat(path);
    return this.sdk.getSignedUrl(this.client, new this.sdk.client.GetObjectCommand({ Bucket: this.s.bucket, Key: this.key(path) }), {
      expiresIn: REDIRECT_SECONDS,
    });
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  /**
   * Multipart uploads under the store's directories that nobody has fed for `rule.maxAgeMs`:
   * initiated that long ago, and no part uploaded since (a live writer sends a part every
   * 8 MiB; S3 does not say which process started an upload, so silence is the only sign). They
   * are invisible to listings and billed until aborted; a bucket lifecycle rule
   * (AbortIncompleteMultipartUpload) does the same where the store offers one.
   */
  async leftovers(rule: LeftoverRule): Promise<Leftover[]> {
    const now = rule.now ?? Date.now();
    const cutoff = now - rule.maxAgeMs;
    const found: Leftover[] = [];
    for (const dir of STORE_DIRS) {
      const prefix = this.dirPrefix('') + dir;
      let keyMarker: string | undefined;
      let uploadIdMarker: string | undefined;
      do {
        const page = await this.send(
          new this.sdk.client.ListMultipartUploadsCommand({
            Bucket: this.s.bucket,
            Prefix: prefix,
            ...(keyMarker ? { KeyMarker: keyMarker } : {}),
            ...(uploadIdMarker ? { UploadIdMarker: uploadIdMarker } : {}),
          }),
          dir,
          rule.signal,
        );
        for (const upload of (page.Uploads ?? []) as Array<{ Key?: string; UploadId?: string; Initiated?: Date }>) {
          const { Key: key, UploadId: uploadId, Initiated: initiated } = upload;
          if (!key || !uploadId || !initiated || initiated.getTime() > cutoff) continue;
          const parts = await this.partsOf(key, uploadId, rule.signal);
          if (parts === null) continue; // completed or aborted meanwhile
          const lastActive = new Date(Math.max(initiated.getTime(), parts.newest));
          if (lastActive.getTime() > cutoff) continue;
          found.push({
            kind: 'multipart-upload',
            name: `${key} (multipart upload ${uploadId})`,
            size: parts.size,
            lastActive,
            reason: `no part uploaded for ${((now - lastActive.getTime()) / 3_600_000).toFixed(1)} h`,
            remove: async (signal) => {
              try {
                await this.client.send(
                  new this.sdk.client.AbortMultipartUploadCommand({ Bucket: this.s.bucket, Key: key, UploadId: uploadId }),
                  signal ? { abortSignal: signal } : {},
                );
              } catch (err) {
                if ((err as { name?: string }).name !== 'NoSuchUpload') this.fail(err, key);
              }
            },
          });
        }
        keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
        uploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
      } while (keyMarker);
    }
    return found;
  }

  /** The bytes and the newest part time of a multipart upload; null when the upload is gone. */
  private async partsOf(key: string, uploadId: string, signal?: AbortSignal): Promise<{ size: number; newest: number } | null> {
    let size = 0;
    let newest = 0;
    let marker: string | undefined;
    do {
      let page: ListPartsCommandOutput;
      try {
        page = await this.client.send(
          new this.sdk.client.ListPartsCommand({ Bucket: this.s.bucket, Key: key, UploadId: uploadId, ...(marker ? { PartNumberMarker: marker } : {}) }),
          signal ? { abortSignal: signal } : {},
        );
      } catch (err) {
        if ((err as { name?: string }).name === 'NoSuchUpload') return null;
        this.fail(err, key);
      }
      for (const part of page.Parts ?? []) {
        size += part.Size ?? 0;
        newest = Math.max(newest, part.LastModified?.getTime() ?? 0);
      }
      marker = page.IsTruncated ? page.NextPartNumberMarker : undefined;
    } while (marker);
    return { size, newest };
  }

  private async multipartCopy(source: string, to: string, size: number, signal?: AbortSignal): Promise<void> {
    const key = this.key(to);
    const { UploadId } = await this.send(new this.sdk.client.CreateMultipartUploadCommand({ Bucket: this.s.bucket, Key: key, ...this.sse() }), to, signal);
    try {
      const parts: Array<{ ETag: string; PartNumber: number }> = [];
      for (let start = 0, n = 1; start < size; start += COPY_PART, n++) {
        const end = Math.min(size, start + COPY_PART) - 1;
        const res = await this.send(
          new this.sdk.client.UploadPartCopyCommand({
            Bucket: this.s.bucket,
            Key: key,
            UploadId,
            PartNumber: n,
            CopySource: source,
            CopySourceRange: `bytes=${start}-${end}`,
          }),
          to,
          signal,
        );
        parts.push({ ETag: res.CopyPartResult?.ETag ?? '', PartNumber: n });
      }
      await this.send(
        new this.sdk.client.CompleteMultipartUploadCommand({ Bucket: this.s.bucket, Key: key, UploadId, MultipartUpload: { Parts: parts } }),
        to,
        signal,
      );
    } catch (err) {
      // Parts already copied would otherwise stay in the bucket (and on the bill).
      await this.client.send(new this.sdk.client.AbortMultipartUploadCommand({ Bucket: this.s.bucket, Key: key, UploadId })).catch(() => {});
      throw err;
    }
  }

  private key(path: string): string {
    return this.s.prefix ? `${this.s.prefix}/${path}` : path;
  }

  /** `<prefix>/<dir>/`, or the prefix itself for the root. */
  private dirPrefix(dir: string): string {
    if (dir === '') return this.s.prefix ? `${this.s.prefix}/` : '';
    return `${this.key(dir)}/`;
  }

  private sse() {
    return this.s.encrypt ? { ServerSideEncryption: 'AES256' as const } : {};
  }

  // biome-ignore lint/suspicious/noExplicitAny: every command's output type flows through here
  private async send<T extends { input: object }>(command: T, path: string, signal?: AbortSignal): Promise<any> {
    try {
      // biome-ignore lint/suspicious/noExplicitAny: the client's overloads do not accept a generic command
      const res = await this.client.send(command as any, signal ? { abortSignal: signal } : {});
      this.health?.answered(this.name);
      return res;
    } catch (err) {
      this.fail(err, path);
    }
  }

  private fail(err: unknown, path: string): never {
    throw this.storageError(err, path);
  }

  /** The StorageError for a failed call: a store that cannot be reached is `unavailable`, told to `health`. */
  private storageError(err: unknown, path: string): StorageError {
    if (err instanceof StorageError) return err;
    if (isUnreachable(err, (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode)) {
      const e = unavailable(this.name, path, err);
      this.health?.unreachable(this.name, e);
      return e;
    }
    this.health?.answered(this.name);
    return isMissing(err) ? notFound(this.name, path) : driverFailure(this.name, path, err);
  }
}

/** A missing object (not a missing bucket, which is a broken setup and must not look like an empty store). */
function isMissing(err: unknown): boolean {
  const e = err as { name?: string; Code?: string };
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound';
}
