/**
 * The lock keys the server and `berth gc` share (HostLocks in one host's lock_dir, or RedisLocks
 * in the `cache` Redis when it is set: shared-locking.ts), so that a collection never deletes
 * what a push is linking at that moment:
 *   - a blob's key: held while an upload or a mount makes the blob's data and its `_layers` link,
 *     and by gc while it checks that nothing links the blob and deletes its data;
 *   - a repository's links key: held while a manifest PUT checks its blobs are linked and writes
 *     its revision, and by gc while it looks for revisions written since it started and removes
 *     the repository's links to unreferenced blobs.
 * Neither is held while taking the other the other way round (server: upload → blob; manifest
 * → repository; gc: blob → repository), so they cannot deadlock.
 */
import type { Digest } from '../checksums/digest.js';

export const blobLock = (digest: Digest | string) => `v2-blob:${typeof digest === 'string' ? digest : digest.value}`;
export const repositoryLinksLock = (name: string) => `v2-links:${name}`;
