import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeenIds } from '../src/dedup.js';
import { MemoryStorage } from '../test-support/helpers.js';

test('keeps at most capacity ids, dropping the oldest, and persists them', () => {
  const storage = new MemoryStorage();
  const seen = new SeenIds(3, storage, 'k');
  for (const id of ['a', 'b', 'c', 'd', 'e']) seen.add(id);
  assert.deepEqual(['a', 'b', 'c', 'd', 'e'].map((id) => seen.has(id)), [false, false, true, true, true]);
  assert.deepEqual(JSON.parse(storage.getItem('k')), ['c', 'd', 'e']);
  seen.delete('d');
  assert.deepEqual(JSON.parse(storage.getItem('k')), ['c', 'e']);
  const reloaded = new SeenIds(1, storage, 'k'); // a smaller capacity trims what it loads
  assert.equal(reloaded.has('e'), true);
  assert.equal(reloaded.has('c'), false);
});

test('works without storage, and with a broken or full one', () => {
  const broken = { getItem: () => '{not json', setItem: () => { throw new DOMException('full', 'QuotaExceededError'); } };
  for (const storage of [null, broken]) {
    const seen = new SeenIds(2, storage, 'k');
    seen.add('a');
    assert.equal(seen.has('a'), true);
  }
});
