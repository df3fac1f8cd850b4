import assert from 'node:assert/strict';
import bcrypt from 'bcryptjs';
import { hashCost, hashScheme, isSupportedHash, verifyPassword } from '../../lib/auth/password-hashes.js';
import { HTPASSWD_FLAGS, type HtpasswdFormat, htpasswdHash } from '../support/htpasswd.js';

const FORMATS = Object.keys(HTPASSWD_FLAGS) as HtpasswdFormat[];

describe('auth: password hashes as htpasswd writes them', () => {
  for (const format of FORMATS) {
    describe(`${format} (htpasswd -${HTPASSWD_FLAGS[format]})`, () => {
      const hash = htpasswdHash(format, 's3cret-pw');

      it('is recognised as its own scheme', () => {
        assert.equal(hashScheme(hash), format);
        assert.ok(isSupportedHash(hash));
      });

      it('the right password passes', async () => {
        assert.equal(await verifyPassword('s3cret-pw', hash), true);
      });

      it('a wrong password, an empty one and a near miss fail', async () => {
        assert.equal(await verifyPassword('z3cret-pw', hash), false);
        assert.equal(await verifyPassword('', hash), false);
        assert.equal(await verifyPassword('S3cret-pw', hash), false);
      });

      it('a hash cut short is not a hash (a half-written line)', async () => {
        const cut = hash.slice(0, -3);
        assert.equal(isSupportedHash(cut), false);
        assert.equal(await verifyPassword('s3cret-pw', cut), false);
      });
    });
  }

  it('non-ASCII passwords are hashed as UTF-8 bytes, as htpasswd reads them from a UTF-8 terminal', async () => {
    for (const format of FORMATS) {
      const hash = htpasswdHash(format, 'pässwö✓');
      assert.equal(await verifyPassword('pässwö✓', hash), true, format);
      assert.equal(await verifyPassword('passwö✓', hash), false, format);
    }
  });

  it('bcrypt from other tools ($2a$, $2b$) and at other costs', async () => {
    const b = bcrypt.hashSync('pw', 4);
    assert.match(b, /^\$2b\$04\$/);
    assert.equal(await verifyPassword('pw', b), true);
    const a = b.replace(/^\$2b\$/, '$2a$');
    assert.equal(await verifyPassword('pw', a), true);
    const c7 = htpasswdHash('bcrypt', 'pw', ['-C', '7']);
    assert.equal(await verifyPassword('pw', c7), true);
    assert.equal(hashCost(c7), 'bcrypt:07');
  });

  it('SHA-crypt with explicit rounds (htpasswd -r)', async () => {
    const hash = htpasswdHash('sha256-crypt', 'pw', ['-r', '10000']);
    assert.match(hash, /^\$5\$rounds=10000\$/);
    assert.equal(await verifyPassword('pw', hash), true);
    assert.equal(await verifyPassword('px', hash), false);
    assert.equal(hashCost(hash), 'sha256-crypt:10000');
    assert.equal(hashCost(htpasswdHash('sha512-crypt', 'pw')), 'sha512-crypt:5000');
  });

  it('DES crypt reads only the first 8 characters of a password (why htpasswd calls it insecure)', async () => {
    const hash = htpasswdHash('crypt', 'password1');
    assert.equal(await verifyPassword('password-anything', hash), true);
    assert.equal(await verifyPassword('passwor', hash), false);
  });

  it('plain text and other schemes are not supported, so never compared', async () => {
    for (const hash of ['s3cret-pw', '$1$abcdefgh$0123456789012345678901', `$2x$05$${'a'.repeat(53)}`, '{SSHA}abcdefghijklmnopqrstuvwxyz0=', '', '$apr1$$']) {
      assert.equal(isSupportedHash(hash), false, hash);
      assert.equal(await verifyPassword(hash, hash), false, hash);
    }
  });
});
