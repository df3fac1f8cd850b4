import assert from 'node:assert/strict';
import { bannerFields, sharedLockWarning } from '../lib/banner.js';
import { loadYaml } from './support/config.js';

const banner = (yaml: string, env: Record<string, string> = {}) => bannerFields(loadYaml(yaml, 'dev', env).config, 'http://127.0.0.1:5000');

describe('startup banner', () => {
  it('a config without standalone is token mode: the banner says V1 asks the index and V2 is off', () => {
    assert.equal(banner('dev:\n  storage_path: /srv/r\n').auth, 'V1: index tokens, checked with https://index.docker.io; V2: off');
  });

  it('standalone and disable_token_auth are named as what leaves V1 open', () => {
    assert.equal(banner('dev:\n  standalone: true\n').auth, 'V1: none (standalone); V2: none');
    assert.equal(banner('dev:\n  disable_token_auth: true\n  v2_enabled: false\n').auth, 'V1: none (disable_token_auth); V2: off');
    assert.equal(
      banner('dev:\n  index_endpoint: https://index.example/\n  v2_enabled: true\n').auth,
      'V1: index tokens, checked with https://index.example; V2: none',
    );
  });

  it('storage.path is where the data goes, also when storage_path is not set', () => {
    assert.deepEqual(banner('dev:\n  storage: local\n').storage, { driver: 'local', path: '/tmp/registry', alternate: null });
    assert.deepEqual(banner('dev:\n  storage: s3\n  boto_bucket: b\n').storage, { driver: 's3', path: '/registry', alternate: null });
    assert.deepEqual(banner('dev:\n  storage: glance\n  glance_url: http://g\n').storage, { driver: 'glance', path: '/tmp/registry', alternate: 'file' });
    assert.deepEqual(banner('dev:\n  storage_path: /srv/r\n').storage, { driver: 'local', path: '/srv/r', alternate: null });
  });

  it('a URL with a password in it (a mirror source, an index endpoint) is shown without the password', () => {
    const b = banner(
      'dev:\n  standalone: false\n  index_endpoint: https://idx:hunter2@index.example\n  mirroring:\n    source: https://mirror:s3cr3t@upstream.example:5000\n',
    );
    assert.equal(b.mirror, 'https://mirror:[redacted]@upstream.example:5000');
    assert.equal(b.auth, 'V1: index tokens, checked with https://idx:[redacted]@index.example; V2: off');
    assert.doesNotMatch(JSON.stringify(b), /hunter2|s3cr3t/);
  });

  it('names where the locks are, and warns when S3 is used without a shared lock service', () => {
    const s3 = 'dev:\n  storage: s3\n  boto_bucket: b\n  lock_dir: /run/berth-locks\n';
    assert.equal(banner(s3).locks, 'lock_dir /run/berth-locks (this host only)');
    assert.match(sharedLockWarning(loadYaml(s3, 'dev').config) ?? '', /S3 storage without a shared lock service.*on this host only.*set `cache`/);
    const shared = `${s3}  shared_lock_ttl: 12\n  cache:\n    host: redis.internal\n`;
    assert.equal(banner(shared).locks, 'redis redis.internal:6379 (every instance using it; lifetime 12 s)');
    assert.equal(sharedLockWarning(loadYaml(shared, 'dev').config), null);
    assert.equal(sharedLockWarning(loadYaml('dev:\n  storage: local\n', 'dev').config), null, 'local storage is one host anyway');
  });
});
