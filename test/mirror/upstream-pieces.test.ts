/**
 * The pure pieces of the pull-through cache: the WWW-Authenticate parser, the mapping of the
 * upstream's answers to our errors, the names it fetches, and its config keys.
 */
import assert from 'node:assert/strict';
import { ConfigError } from '../../lib/config/errors.js';
import { RegistryError } from '../../lib/errors/registry-error.js';
import { parseChallenges } from '../../lib/mirror/challenge.js';
import { MirrorScope } from '../../lib/mirror/scope.js';
import { clientError, servesStale, staleWarning, UpstreamRefused, UpstreamUnavailable } from '../../lib/mirror/upstream-errors.js';
import { preflight } from '../../lib/preflight.js';
import { INSTALL_DIR } from '../../lib/version.js';
import { tempDir, testConfig, writeConfig } from '../support/config.js';

describe('mirror: WWW-Authenticate challenges', () => {
  it('reads a Bearer challenge as Docker Hub sends it, quoted commas and escapes included', () => {
    const [c] = parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/ubuntu:pull,push"');
    assert.deepEqual(c, {
      scheme: 'bearer',
      params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/ubuntu:pull,push' },
    });
    assert.deepEqual(parseChallenges('Basic realm="a \\"quoted\\" realm"')[0], { scheme: 'basic', params: { realm: 'a "quoted" realm' } });
  });

  it('reads several challenges in one header, and nothing from none', () => {
    const all = parseChallenges('Basic realm="upstream", Bearer realm="http://t/token",service=reg');
    assert.deepEqual(
      all.map((c) => [c.scheme, c.params.realm]),
      [
        ['basic', 'upstream'],
        ['bearer', 'http://t/token'],
      ],
    );
    assert.equal(all[1]?.params.service, 'reg');
    assert.deepEqual(parseChallenges(null), []);
  });
});

describe('mirror: the upstream’s answers as our errors', () => {
  const notFound = () => new RegistryError({ status: 404, code: 'MANIFEST_UNKNOWN', message: 'x' });
  const mapped = (err: unknown) => clientError(err, 'ns/app:latest', notFound);

  it('404 NAME_UNKNOWN stays NAME_UNKNOWN; any other 404 is the object’s own', () => {
    assert.equal(mapped(new UpstreamRefused(404, 'NAME_UNKNOWN', null)).code, 'NAME_UNKNOWN');
    assert.equal(mapped(new UpstreamRefused(404, 'MANIFEST_UNKNOWN', null)).code, 'MANIFEST_UNKNOWN');
  });

  it('429 is TOOMANYREQUESTS with its Retry-After; 401/403 is UNAUTHORIZED with our own challenge', () => {
    const limited = mapped(new UpstreamRefused(429, null, '30'));
    assert.deepEqual([limited.status, limited.code, limited.headers['Retry-After']], [429, 'TOOMANYREQUESTS', '30']);
    const denied = mapped(new UpstreamRefused(401, 'UNAUTHORIZED', null));
    assert.deepEqual([denied.status, denied.code], [401, 'UNAUTHORIZED']);
    assert.match(denied.headers['WWW-Authenticate'] ?? '', /^Basic realm="Berth mirror"$/);
  });

  it('down, failing or rate-limiting serves the cache; a 404 or 401 does not', () => {
    assert.ok(servesStale(new UpstreamUnavailable('http://u/v2/', 'ECONNREFUSED')));
    assert.ok(servesStale(new UpstreamRefused(503, null, null)));
    assert.ok(servesStale(new UpstreamRefused(429, null, null)));
    assert.ok(!servesStale(new UpstreamRefused(404, null, null)));
    assert.ok(!servesStale(new UpstreamRefused(401, null, null)));
    assert.match(staleWarning(new UpstreamRefused(429, null, null)), /^110 berth "Response is Stale: upstream rate-limited"$/);
    assert.equal(mapped(new UpstreamUnavailable('http://u/v2/', 'x')).status, 503);
  });
});

describe('mirror: which names are fetched, under which upstream name', () => {
  it('Docker Hub: one-part names are library/<name>, by default for docker.io', () => {
    const hub = new MirrorScope({ source: 'https://registry-1.docker.io', repositories: [], library_names: null });
    assert.equal(hub.upstreamName('ubuntu'), 'library/ubuntu');
    assert.equal(hub.upstreamName('grafana/grafana'), 'grafana/grafana');
    const other = new MirrorScope({ source: 'https://registry.example.com', repositories: [], library_names: null });
    assert.equal(other.upstreamName('ubuntu'), 'ubuntu');
  });

  it('the allow-list matches the upstream name with auth’s patterns', () => {
    const scope = new MirrorScope({ source: 'https://registry-1.docker.io', repositories: ['library/*', 'myorg/**'], library_names: null });
    assert.ok(scope.fetches('ubuntu'));
    assert.ok(scope.fetches('myorg/team/app'));
    assert.ok(!scope.fetches('someone/else'));
  });
});

describe('mirror: config keys', () => {
  it('defaults: auto protocol, pushes refused, no budget', () => {
    const { mirroring } = testConfig('  mirroring:\n    source: http://127.0.0.1:1\n');
    assert.deepEqual(
      [mirroring.protocol, mirroring.allow_push, mirroring.max_bytes, mirroring.manifests_cache_ttl, mirroring.repositories],
      ['auto', false, 0, 300, []],
    );
  });

  it('a mistake names the key', () => {
    const wrong = (yaml: string) => {
      try {
        testConfig(yaml);
      } catch (err) {
        if (err instanceof ConfigError) return err.message;
        throw err;
      }
      return assert.fail('expected a ConfigError');
    };
    assert.match(wrong('  mirroring:\n    protocol: v3\n'), /mirroring\.protocol.*expected v1, v2 or auto/s);
    assert.match(wrong('  mirroring:\n    repositories: ["Library/x"]\n'), /mirroring\.repositories/);
    assert.match(wrong('  mirroring:\n    pinned: ["no-tag"]\n'), /mirroring\.pinned.*name:tag/s);
    assert.match(wrong('  mirroring:\n    max_bytes: -1\n'), /mirroring\.max_bytes/);
  });

  it('preflight (what node dist and --check-config run) refuses a source that is not a registry URL, naming the env var', () => {
    const yaml = 'dev:\n  storage: local\n  storage_path: /tmp/x\n  mirroring:\n    source: _env:MIRROR_SOURCE\n';
    const env = { SETTINGS_FLAVOR: 'dev', DOCKER_REGISTRY_CONFIG: writeConfig(yaml), MIRROR_SOURCE: 'registry-1.docker.io' };
    assert.throws(
      () => preflight({ env, cwd: tempDir(), installDir: INSTALL_DIR }),
      (err: unknown) => err instanceof ConfigError && /mirroring\.source: expected the http\(s\) URL.*set by env MIRROR_SOURCE/s.test(err.message),
    );
    assert.doesNotThrow(() => preflight({ env: { ...env, MIRROR_SOURCE: 'https://registry-1.docker.io' }, cwd: tempDir(), installDir: INSTALL_DIR }));
  });
});
