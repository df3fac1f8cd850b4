/**
 * What `storage:` and its driver's settings must satisfy, checked without building a driver
 * or opening a connection. `node dist` and `node dist --check-config` run these checks before
 * anything is built, and createStorage runs them for the operator tools, so all of them refuse
 * the same configs with the same messages.
 */
import type { ConfigIssue } from '../config/errors.js';
import type { Config } from '../config/load.js';
import { closestKey } from '../config/unknown-keys.js';
import { S3_DEFAULT_PREFIX, s3Settings } from './drivers/s3-settings.js';
import type { KeystoneCredentials } from './openstack/keystone.js';

export const DRIVERS = ['local', 'file', 's3', 'glance'] as const;
export type DriverName = (typeof DRIVERS)[number];
/** What Glance may keep its non-layer objects on (docker-registry's storage_alternate). */
const ALTERNATES: readonly DriverName[] = ['local', 'file', 's3'];
/** Drivers docker-registry shipped or documented that Berth does not implement. */
const NOT_IMPLEMENTED = ['swift', 'gcs', 'elliptics', 'azureblob', 'oss', 'dumb'];
/** Where the local driver keeps data when storage_path is not set. */
export const LOCAL_DEFAULT_PATH = '/tmp/registry';

export interface StorageCheck {
  issues: ConfigIssue[];
  /** settings that work but are worth knowing about (data under /tmp) */
  warnings: ConfigIssue[];
}

export function validateStorage(c: Readonly<Config>): StorageCheck {
  const name = c.storage;
  if (!isDriver(name)) return { issues: [{ key: 'storage', message: unknownDriver(name) }], warnings: [] };
  if (name !== 'glance') return checkDriver(c, name);
  const alternate = glanceAlternate(c);
  const issues: ConfigIssue[] = [];
  if (!ALTERNATES.includes(alternate as DriverName)) {
    issues.push({ key: 'storage_alternate', message: `must be one of ${ALTERNATES.join(', ')}; got ${JSON.stringify(alternate)}` });
  }
  if (!c.glance_url && !keystoneCredentials(c)) {
    issues.push({
      key: 'glance_url',
      message: 'set glance_url (or OS_GLANCE_URL), or Keystone credentials (os_auth_url/OS_AUTH_URL, os_username/OS_USERNAME, …)',
    });
  }
  const inner = ALTERNATES.includes(alternate as DriverName) ? checkDriver(c, alternate as DriverName) : { issues: [], warnings: [] };
  return { issues: [...issues, ...inner.issues], warnings: inner.warnings };
}

/** Where the data goes: storage_path, or the default of the driver that holds it. */
export function storageRoot(c: Readonly<Config>): string {
  const holder = c.storage === 'glance' ? glanceAlternate(c) : c.storage;
  return c.storage_path ?? (holder === 's3' ? S3_DEFAULT_PREFIX : LOCAL_DEFAULT_PATH);
}

export function glanceAlternate(c: Readonly<Config>): string {
  return c.storage_alternate ?? 'file';
}

/** Keystone v3 credentials when os_auth_url and os_username are set; else Glance is reached without a token. */
export function keystoneCredentials(c: Readonly<Config>): KeystoneCredentials | null {
  if (!c.os_auth_url || !c.os_username) return null;
  return {
    authUrl: c.os_auth_url,
    username: c.os_username,
    password: c.os_password ?? '',
    projectName: c.os_tenant_name ?? '',
    userDomain: c.os_user_domain_name,
    projectDomain: c.os_project_domain_name,
    region: c.os_region_name,
  };
}

export function isDriver(name: string): name is DriverName {
  return (DRIVERS as readonly string[]).includes(name);
}

function checkDriver(c: Readonly<Config>, name: DriverName): StorageCheck {
  if (name === 's3') return { issues: s3Settings(c).issues, warnings: [] };
  if (c.storage_path) return { issues: [], warnings: [] };
  return { issues: [], warnings: [{ key: 'storage_path', message: `not set, so images are stored in ${LOCAL_DEFAULT_PATH}` }] };
}

function unknownDriver(name: string): string {
  const available = DRIVERS.join(', ');
  if (NOT_IMPLEMENTED.includes(name)) return `the ${name} driver is not available in Berth; available: ${available}`;
  const guess = closestKey(name, DRIVERS);
  return `unknown storage driver ${JSON.stringify(name)}; available: ${available}${guess ? ` (did you mean ${guess}?)` : ''}`;
}
