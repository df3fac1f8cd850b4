import assert from 'node:assert/strict';
import { CheckedDriver } from '../../lib/storage/checked-driver.js';
import { MemoryDriver } from '../../lib/storage/drivers/memory.js';
import { type WalkOptions, walkDirectories } from '../../lib/storage/walk.js';

describe('storage walk', () => {
  const storage = new CheckedDriver(new MemoryDriver());
  before(async () => {
    for (const path of ['r/b/x', 'r/a/_skip/deep/y', 'r/a/z', 'r/c', 'other/w']) await storage.putContent(path, path);
  });

  async function walk(root: string, options?: WalkOptions) {
    const seen: Array<[string, string[]]> = [];
    for await (const { path, children } of walkDirectories(storage, root, options)) seen.push([path, children]);
    return seen;
  }

  it('gives each directory before what lies below it, in sorted order, with its children', async () => {
    assert.deepEqual(await walk('r'), [
      ['r', ['r/a', 'r/b', 'r/c']],
      ['r/a', ['r/a/_skip', 'r/a/z']],
      ['r/a/_skip', ['r/a/_skip/deep']],
      ['r/a/_skip/deep', ['r/a/_skip/deep/y']],
      ['r/b', ['r/b/x']],
    ]);
  });

  it('walks below the children descendInto accepts, and only those', async () => {
    const seen = await walk('r', { descendInto: (child) => !child.endsWith('/_skip') });
    assert.deepEqual(
      seen.map(([path]) => path),
      ['r', 'r/a', 'r/b'],
    );
  });

  it('walks the whole store from the root, and nothing from a missing directory', async () => {
    assert.deepEqual((await walk('')).slice(0, 2), [
      ['', ['other', 'r']],
      ['other', ['other/w']],
    ]);
    assert.deepEqual(await walk('missing'), []);
  });

  it('stops when its signal is aborted', async () => {
    const controller = new AbortController();
    const walking = walkDirectories(storage, 'r', { signal: controller.signal });
    assert.equal((await walking.next()).value?.path, 'r');
    controller.abort();
    await assert.rejects(walking.next(), { name: 'AbortError' });
  });
});
