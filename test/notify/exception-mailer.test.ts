import assert from 'node:assert/strict';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { fingerprint } from '../../lib/notify/exception-mailer.js';
import { INSTALL_DIR } from '../../lib/version.js';

/** An error with a given stack, as V8 prints it. */
function thrown(kind: typeof Error, message: string, frames: string[], code?: string): Error {
  const err = new kind(message);
  err.stack = `${err.name}: ${message}\n${frames.map((f) => `    at ${f}`).join('\n')}`;
  if (code) Object.assign(err, { code });
  return err;
}

describe('exception mail fingerprint: what makes two failures the same', () => {
  const own = (file: string, line: number) => `${path.join(INSTALL_DIR, file)}:${line}:7`;
  const dep = path.join(INSTALL_DIR, 'node_modules/koa-compose/index.js:42:32');

  it('is the class and the top frame in Berth’s own code, whatever the message says', () => {
    const a = thrown(Error, 'could not read images/aaa/json', [`readJson (${own('dist/services/v1/images.js', 12)})`, `dispatch (${dep})`]);
    const b = thrown(Error, 'could not read images/bbb/json', [`readJson (${own('dist/services/v1/images.js', 12)})`, `dispatch (${dep})`]);
    assert.equal(fingerprint(a), 'Error at dist/services/v1/images.js:12:7');
    assert.equal(fingerprint(a), fingerprint(b));
    assert.notEqual(fingerprint(a), fingerprint(thrown(TypeError, 'could not read images/aaa/json', [`readJson (${own('dist/services/v1/images.js', 12)})`])));
  });

  it('skips frames in node_modules and node internals; reads ESM file:// frames', () => {
    const err = thrown(Error, 'x', ['async open (node:internal/fs/promises:639:25)', `dispatch (${dep})`, `async ${pathToFileURL(own('lib/app.ts', 3)).href}`]);
    assert.equal(fingerprint(err), 'Error at lib/app.ts:3:7');
  });

  it('keeps a system error’s code apart (ENOENT is not EACCES); falls back to the top frame outside Berth', () => {
    const frames = ['async open (node:internal/fs/promises:639:25)'];
    assert.equal(fingerprint(thrown(Error, "ENOENT: open '/a'", frames, 'ENOENT')), 'Error[ENOENT] at node:internal/fs/promises:639:25');
    assert.notEqual(fingerprint(thrown(Error, "EACCES: open '/a'", frames, 'EACCES')), fingerprint(thrown(Error, "ENOENT: open '/b'", frames, 'ENOENT')));
  });
});
