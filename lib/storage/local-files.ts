/**
 * Whether a driver's objects are plain files under storage_path (the local driver, also behind
 * any wrapper), so a front server can send them itself (`nginx_x_accel_redirect`). The driver
 * says so in its capabilities; wrappers pass that on, so nothing here knows driver classes.
 */
import type { StorageDriver } from './driver.js';

export function servesLocalFiles(driver: StorageDriver): boolean {
  return driver.capabilities.localFiles;
}
