import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { parseStoredChecksums, payloadChecksum } from '../../lib/checksums/payload.js';
import { upstreamImages } from '../support/upstream-layers.js';

describe("V1 payload checksums (docker-registry's tests/lib/test_checksums.py vectors)", () => {
  it('empty json and empty layer', async () => {
    assert.equal(await payloadChecksum(Buffer.alloc(0), Readable.from([])), 'sha256:01ba4719c80b6fe911b091a7c05124b64eeece964e09c058ef8f9805daca546b');
  });
  it('json "test" and an empty layer', async () => {
    assert.equal(await payloadChecksum(Buffer.from('test'), Readable.from([])), 'sha256:f2ca1bb6c7e907d06dafe4687e579fce76b37e4e93b7605022da52e6ccc26fd2');
  });
  for (const image of upstreamImages()) {
    it(`the payload checksum of upstream test image ${image.folder}`, async () => {
      assert.equal(await payloadChecksum(image.json, Readable.from([image.layer])), image.sums.payload);
    });
  }
  it('reads _checksum as a JSON list or a legacy plain string', () => {
    assert.deepEqual(parseStoredChecksums(Buffer.from('["sha256:aa", "tarsum+sha256:bb"]')), ['sha256:aa', 'tarsum+sha256:bb']);
    assert.deepEqual(parseStoredChecksums(Buffer.from('sha256:aa')), ['sha256:aa']);
    assert.deepEqual(parseStoredChecksums(Buffer.from('tarsum+sha256:bb\n')), ['tarsum+sha256:bb']);
    assert.deepEqual(parseStoredChecksums(Buffer.from('')), []);
  });
});
