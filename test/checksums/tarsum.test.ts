import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { extract, type Header } from 'tar-stream';
import { headerBytes, tarsum, tarsumVersionOf } from '../../lib/checksums/tarsum.js';
import { paxRecords } from '../../lib/formats/tar.js';
import { upstreamImages } from '../support/upstream-layers.js';

// Berth's own worked example, not an upstream vector: a hand-made ustar (hello/, hello/world.txt,
// hello/link), gzip, 175 bytes. The sums below were computed outside Berth by two independent
// implementations of moby `pkg/tarsum` (`tarsum_spec.md`).
const LAYER = Buffer.from(
  'H4sIAAAAAAACA+2UTQ7CIBBGZ+0pcG90+JnOFbyGiSY1oiSUxh5foBvThcYFTQy8zUeABZkXvv5irTtAUTDCRDkjy8xrqciw1qZL+xJZaRAEKzAO4eTjU7xz4dO9b+d/Sp/9P523532YQjH/nTEpJRO+54zkhX+JOvrHNf1DnRyT/52IMxjG+3YDjbqY/7+9Pm6F+5/5h/7XhhGEKltLrf8bjUbVvADn0zihAAwAAA==',
  'base64',
);
const JSON_181 = Buffer.from(
  '{"id":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","created":"2015-07-09T00:00:00Z","container_config":{"Cmd":["/bin/sh","-c","#(nop) ADD hello"]},"Size":3072}',
);
const stream = (b: Buffer) => Readable.from([b]);

describe('tarsum (a hand-made worked example)', () => {
  it('the fixture is the 175-byte gzip of a 3072-byte tar', () => {
    assert.equal(LAYER.length, 175);
    assert.equal(gunzipSync(LAYER).length, 3072);
    assert.equal(JSON_181.length, 181);
  });

  it("Version0 header strings are the fields of moby's v0TarHeaderSelect (pkg/tarsum/versioning.go), in its order", async () => {
    const headers: Header[] = [];
    const tar = extract();
    tar.on('entry', (h, s, next) => {
      headers.push(h);
      s.on('end', next);
      s.resume();
    });
    await new Promise<void>((resolve, reject) => {
      tar.on('finish', resolve).on('error', reject);
      tar.end(gunzipSync(LAYER));
    });
    assert.deepEqual(
      headers.map((h) => headerBytes(h, 'tarsum').toString()),
      [
        'namehello/mode493uid0gid0size0mtime1436400000typeflag5linknameunamerootgnamerootdevmajor0devminor0',
        'namehello/world.txtmode420uid1000gid1000size15mtime1436400000typeflag0linknameunamegnamedevmajor0devminor0',
        'namehello/linkmode511uid0gid0size0mtime1436400000typeflag2linknameworld.txtunamerootgnamerootdevmajor0devminor0',
      ],
    );
  });

  it('Version0 and Version1 without extra, and the X-Docker-Checksum with the image JSON', async () => {
    assert.equal(await tarsum(stream(LAYER), Buffer.alloc(0)), 'tarsum+sha256:cd72c972ce099e9e7238312f90a1e877ae7ad57ca6e72e1a2979043ae3bcc05e');
    assert.equal(
      await tarsum(stream(LAYER), Buffer.alloc(0), 'tarsum.v1'),
      'tarsum.v1+sha256:d04d6cee396bd696f122ad68fe8a71c6c40c701e6ab9d06e1f09f4e1aa9e35bd',
    );
    assert.equal(await tarsum(stream(LAYER), JSON_181), 'tarsum+sha256:ac3fbec737f2b28b57885fc59545f803575812965d01dd724dbb610dde77286a');
    assert.equal(
      await tarsum(stream(gunzipSync(LAYER)), JSON_181),
      'tarsum+sha256:ac3fbec737f2b28b57885fc59545f803575812965d01dd724dbb610dde77286a',
      'the same from the plain tar',
    );
  });

  it('the empty tar sums to the hash of the extra alone', async () => {
    assert.equal(
      await tarsum(stream(Buffer.alloc(1024)), Buffer.alloc(0), 'tarsum.v1'),
      'tarsum.v1+sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
  });

  it('names the version of an X-Docker-Checksum value', () => {
    assert.equal(tarsumVersionOf(`tarsum+sha256:${'a'.repeat(64)}`), 'tarsum');
    assert.equal(tarsumVersionOf(`tarsum.v1+sha256:${'a'.repeat(64)}`), 'tarsum.v1');
    assert.equal(tarsumVersionOf(`sha256:${'a'.repeat(64)}`), null);
    assert.equal(tarsumVersionOf(`tarsum.dev+sha256:${'a'.repeat(64)}`), null);
  });
});

describe('tarsum of the upstream test layers (docker-registry tests/data, moby pkg/tarsum testdata)', () => {
  for (const image of upstreamImages()) {
    it(`${image.folder}: Version0 and Version1 with the image JSON as extra`, async () => {
      assert.equal(await tarsum(stream(image.layer), image.json), image.sums.tarsum);
      assert.equal(await tarsum(stream(image.layer), image.json, 'tarsum.v1'), image.sums['tarsum.v1']);
    });
    it(`${image.folder}: the same sums from the gzip of the layer`, async () => {
      assert.equal(await tarsum(stream(gzipSync(image.layer)), image.json), image.sums.tarsum);
      assert.equal(await tarsum(stream(gzipSync(image.layer)), image.json, 'tarsum.v1'), image.sums['tarsum.v1']);
    });
  }
});

describe('pax records', () => {
  it('keep a binary value byte for byte, and stop at a malformed record', () => {
    const value = Buffer.from([0x01, 0x00, 0x00, 0x02, 0xc0, 0xff]);
    const record = (key: string, v: Buffer) => {
      const body = Buffer.concat([Buffer.from(` ${key}=`), v, Buffer.from('\n')]);
      return Buffer.concat([Buffer.from(String(body.length + 2)), body]); // a two-digit length: these records are short
    };
    const records = paxRecords(Buffer.concat([record('SCHILY.xattr.security.capability', value), record('path', Buffer.from('é')), Buffer.from('zz junk')]));
    assert.deepEqual(Object.keys(records), ['SCHILY.xattr.security.capability', 'path']);
    assert.ok(records['SCHILY.xattr.security.capability']?.equals(value));
    assert.equal(records.path?.toString('utf8'), 'é');
  });
});
