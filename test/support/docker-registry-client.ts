/**
 * The npm `docker-registry-client` in V1 mode, as the V1 tooling of the time used it: its
 * callback API typed for the calls the tests make, a promise wrapper, and a quiet logger.
 */
import { createRequire } from 'node:module';

export interface DockerRegistryClient {
  createClientV1(opts: Record<string, unknown>): {
    listRepoTags(cb: (err: Error | null, tags: Record<string, string>) => void): void;
    getImgAncestry(opts: { imgId: string }, cb: (err: Error | null, ancestry: string[]) => void): void;
    getImgJson(opts: { imgId: string }, cb: (err: Error | null, body: unknown, res: { headers: Record<string, string> }) => void): void;
    getImgLayerStream(opts: { imgId: string }, cb: (err: Error | null, stream: NodeJS.ReadableStream & { headers: Record<string, string> }) => void): void;
    close(): void;
  };
}

export function dockerRegistryClient(): DockerRegistryClient {
  return createRequire(import.meta.url)('docker-registry-client') as DockerRegistryClient;
}

export function promised<T>(call: (cb: (err: Error | null, value: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => call((err, value) => (err ? reject(err) : resolve(value))));
}

/** A bunyan-shaped logger that says nothing (the client logs through bunyan's interface). */
export function quietLog() {
  const log = { child: () => log, trace() {}, debug() {}, info() {}, warn() {}, error() {}, fatal() {} };
  return log;
}
