/**
 * The storage driver interface every backend implements (local, s3, glance, and wrappers).
 * Paths are relative keys such as `images/<id>/json`, checked by `checkPath` before they
 * reach a backend: CheckedDriver (checked-driver.ts) does it for every driver createStorage
 * builds, so the drivers themselves take their paths as given. Drivers know nothing about HTTP.
 */
import type { FileHandle } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { invalidPath, isNotFound, StorageError } from './errors.js';

/**
 * How much a stream stage between a client socket and storage buffers (readers' chunks,
 * writers' and hashers' high-water marks). Node's 16-64 KiB defaults make each stage pause the
 * socket every few chunks; 1 MiB keeps a layer moving at disk speed, and a handful of stages
 * per transfer stays far below the memory a layer would take.
 */
export const STREAM_CHUNK = 1 << 20;

export interface FileInfo {
  path: string;
  size: number;
  modTime: Date;
  isDir: boolean;
}

export interface ReadOptions {
  offset?: number;
  /** bytes to read from offset; undefined = to the end */
  length?: number;
  signal?: AbortSignal;
}

/** A streamed write that nobody can see until `commit` resolves. */
export interface ObjectWriter {
  readonly stream: Writable;
  /** bytes accepted so far */
  readonly size: () => number;
  commit(): Promise<void>;
  /** Discard everything written; safe to call after a failure or twice. */
  cancel(): Promise<void>;
}

/** A local object opened for sending (drivers with `localFiles`): the reader closes `handle`. */
export interface LocalFile {
  readonly handle: FileHandle;
  readonly size: number;
  /** told the bytes as they are read (a wrapper's byte count) */
  readonly onRead?: (bytes: number) => void;
}

export interface Capabilities {
  ranges: boolean;
  redirect: boolean;
  /**
   * Objects are plain files at `storage_path/<path>`, so a front server can send them itself
   * (`nginx_x_accel_redirect`). Wrappers pass on the capability of the driver they wrap.
   */
  localFiles: boolean;
}

export interface StorageDriver {
  readonly name: string;
  readonly capabilities: Capabilities;
  getContent(path: string, signal?: AbortSignal): Promise<Buffer>;
  putContent(path: string, data: Buffer | string, signal?: AbortSignal): Promise<void>;
  reader(path: string, options?: ReadOptions): Promise<Readable>;
  writer(path: string, signal?: AbortSignal): Promise<ObjectWriter>;
  /**
   * Optional: append to an object in place, for data no reader serves (V2 upload sessions),
   * starting at byte `at` (what lies past it, a chunk a crash left half-written, is dropped;
   * an object shorter than `at` is a driver_failure). commit keeps the bytes; cancel (or a
   * failure) rolls the object back to `at`. Drivers without it (S3, Glance) get one object per
   * chunk instead.
   */
  appender?(path: string, at: number, signal?: AbortSignal): Promise<ObjectWriter>;
  /**
   * Optional (drivers with `localFiles`): open an object's file for reading it directly
   * (http/send-file.ts sends it without a stream in between). A directory is not_found.
   */
  openFile?(path: string): Promise<LocalFile>;
  stat(path: string, signal?: AbortSignal): Promise<FileInfo>;
  /**
   * Direct children, as full paths, sorted. A directory exists while something is in it: a
   * missing or emptied one is not_found on every driver (S3 has no empty directories).
   */
  list(dir: string, signal?: AbortSignal): Promise<string[]>;
  /** Delete a file or a whole directory. */
  delete(path: string, signal?: AbortSignal): Promise<void>;
  move(from: string, to: string, signal?: AbortSignal): Promise<void>;
  /** A URL a client may fetch the object from directly, or null to stream it through Berth. */
  redirectUrl(path: string): Promise<string | null>;
  /**
   * Optional: what writers that died (a crash, kill -9) left in the backend, that no listing
   * shows and nothing else removes: local temp files, S3 multipart uploads, Glance staging
   * images. Only those whose writer is known to be gone (rule in writer-id.ts), never one a
   * live writer (another worker, another instance) is still filling. Wrappers pass it on.
   */
  leftovers?(rule: LeftoverRule): Promise<Leftover[]>;
  close(): Promise<void>;
}

export interface LeftoverRule {
  /** a writer the backend cannot see (another host; no writer recorded) is gone once silent this long */
  maxAgeMs: number;
  /** the time to judge by (tests); default now */
  now?: number;
  signal?: AbortSignal | undefined;
}

/** Something a dead writer left behind, found by `StorageDriver.leftovers`. */
export interface Leftover {
  kind: 'temp-file' | 'multipart-upload' | 'staging-image' | 'staging-object';
  /** what the backend calls it: a file under storage_path, an S3 key and upload id, a Glance image */
  name: string;
  /** bytes it holds, when known */
  size: number | null;
  /** its last sign of life */
  lastActive: Date;
  /** why its writer is known to be gone */
  reason: string;
  remove(signal?: AbortSignal): Promise<void>;
}

const MAX_PATH = 4096;
/** What local filesystems hold in one name (NAME_MAX); every driver keeps to it, so a store can move between them. */
const MAX_COMPONENT = 255;

/**
 * A key is one or more `/`-separated components; none may be empty, `.` or `..`, or longer
 * than 255 bytes, and NUL or control characters never reach a backend. The empty path is the
 * root (only for list/stat).
 */
export function checkPath(driver: string, path: string, allowRoot = false): string {
  if (path === '' && allowRoot) return path;
  if (path === '') throw invalidPath(driver, path, 'empty');
  if (path.length > MAX_PATH) throw invalidPath(driver, path.slice(0, 64), 'too long');
  if (path.startsWith('/')) throw invalidPath(driver, path, 'absolute');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (/[\u0000-\u001f\u007f\\]/.test(path)) throw invalidPath(driver, path, 'control character or backslash');
  for (const part of path.split('/')) {
    if (part === '' || part === '.' || part === '..') throw invalidPath(driver, path, `bad component ${JSON.stringify(part)}`);
    if (Buffer.byteLength(part) > MAX_COMPONENT) throw invalidPath(driver, path.slice(0, 64), `a component over ${MAX_COMPONENT} bytes`);
  }
  return path;
}

/** Offsets and lengths are whole numbers of 0 or more; anything else never reaches a backend. */
export function checkRange(driver: string, path: string, options: ReadOptions): void {
  for (const [name, value] of [
    ['offset', options.offset],
    ['length', options.length],
  ] as const) {
    if (value !== undefined && !(Number.isSafeInteger(value) && value >= 0)) {
      throw new StorageError('invalid_path', driver, path, `invalid ${name} ${String(value)}`);
    }
  }
}

export async function exists(driver: StorageDriver, path: string, signal?: AbortSignal): Promise<boolean> {
  try {
    await driver.stat(path, signal);
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

/** Delete `path`; false if it was not there (another request may have deleted it first). */
export async function deleteIfExists(driver: StorageDriver, path: string, signal?: AbortSignal): Promise<boolean> {
  try {
    await driver.delete(path, signal);
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

/** The children of `dir`, or none when it does not exist (a missing and an emptied directory are the same). */
export async function listOrEmpty(driver: StorageDriver, dir: string, signal?: AbortSignal): Promise<string[]> {
  try {
    return await driver.list(dir, signal);
  } catch (err) {
    if (isNotFound(err)) return [];
    throw err;
  }
}

/**
 * Stream `source` into `path` and make it visible only if every byte arrived: a source that
 * fails or is cut off (a dropped client) leaves the previous object, or nothing, in place.
 * Returns the number of bytes stored.
 */
export async function writeFromStream(
  driver: StorageDriver,
  path: string,
  source: Readable,
  signal?: AbortSignal,
  tap?: (chunk: Buffer) => void,
): Promise<number> {
  let writer: ObjectWriter;
  try {
    writer = await driver.writer(path, signal);
  } catch (err) {
    source.destroy();
    throw err;
  }
  try {
    await (tap ? pipeTapped(source, writer.stream, tap, signal) : pipeline(source, writer.stream, signal ? { signal } : {}));
    await writer.commit();
    return writer.size();
  } catch (err) {
    await writer.cancel();
    throw err;
  }
}

/**
 * pipeline(source, sink), with `tap` shown every chunk on its way: the same buffers, in order,
 * with no Transform in between (a hash that way costs one stream stage less for every 64 KiB
 * piece a request body arrives in). pipeline has attached its own 'data' listener (pipe) by the
 * time it returns, and the source starts flowing only on the next tick, so `tap` misses nothing.
 */
export function pipeTapped(source: Readable, sink: Writable, tap: (chunk: Buffer) => void, signal?: AbortSignal): Promise<void> {
  const done = pipeline(source, sink, signal ? { signal } : {});
  source.on('data', tap);
  return done;
}
