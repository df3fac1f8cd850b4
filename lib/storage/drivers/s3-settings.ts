/**
 * The S3 client settings that docker-registry's boto options stand for. Validation problems
 * are config errors naming the key, raised at startup rather than at the first request.
 */

import type { ConfigIssue } from '../../config/errors.js';
import type { Config } from '../../config/load.js';

/** The key prefix when storage_path is not set: the one docker-registry's sample configs gave s3. */
export const S3_DEFAULT_PREFIX = '/registry';

export interface S3Settings {
  bucket: string;
  /** key prefix from storage_path, without leading or trailing '/' ('' = bucket root) */
  prefix: string;
  region: string;
  /** custom endpoint (Ceph RGW, MinIO…); undefined = AWS */
  endpoint: string | undefined;
  forcePathStyle: boolean;
  credentials: { accessKeyId: string; secretAccessKey: string } | undefined;
  encrypt: boolean;
}

export function s3Settings(c: Readonly<Config>): { settings: S3Settings | null; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const bucket = c.boto_bucket ?? c.s3_bucket;
  if (!bucket) issues.push({ key: 'boto_bucket', message: 'the S3 bucket is not set (boto_bucket, or s3_bucket)' });
  if (Boolean(c.s3_access_key) !== Boolean(c.s3_secret_key)) {
    issues.push({
      key: c.s3_access_key ? 's3_secret_key' : 's3_access_key',
      message: 'set both s3_access_key and s3_secret_key, or neither (then the AWS default credential chain is used)',
    });
  }
  const region = c.s3_region ?? 'us-east-1';
  const scheme = c.s3_secure ? 'https' : 'http';
  // boto's default endpoint when no host is given; https only when s3_secure is true, as before.
  const endpoint = c.boto_host
    ? `${scheme}://${c.boto_host}${c.boto_port ? `:${c.boto_port}` : ''}`
    : c.s3_secure
      ? undefined
      : `http://s3.${region}.amazonaws.com`;
  // Path-style when asked for (OrdinaryCallingFormat), and for custom endpoints unless subdomains are asked for.
  const calling = c.boto_calling_format ?? '';
  const forcePathStyle = calling.includes('Ordinary') || (Boolean(c.boto_host) && !calling.includes('Subdomain'));
  const prefix = (c.storage_path ?? S3_DEFAULT_PREFIX).replace(/^\/+/, '').replace(/\/+$/, '');
  if (issues.length > 0 || !bucket) return { settings: null, issues };
  return {
    settings: {
      bucket,
      prefix,
      region,
      endpoint,
      forcePathStyle,
      credentials: c.s3_access_key && c.s3_secret_key ? { accessKeyId: c.s3_access_key, secretAccessKey: c.s3_secret_key } : undefined,
      encrypt: c.s3_encrypt,
    },
    issues,
  };
}
