import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoff } from '../src/backoff.js';
import { setup, until } from '../test-support/helpers.js';

const options = { baseMillis: 200, maxMillis: 20000 };
/** A random source that answers `values` in turn, then fails the test if asked again. */
const sequence = (...values) => () => {
  assert.ok(values.length, 'random() called more often than expected');
  return /** @type {number} */ (values.shift());
};

test('backoff: full jitter, within [0, min(max, base * 2^attempt))', () => {
  for (let attempt = 0; attempt < 40; attempt++) {
    const ceiling = Math.min(options.maxMillis, options.baseMillis * 2 ** attempt);
    for (let i = 0; i < 200; i++) {
      const wait = backoff(attempt, options);
      assert.ok(wait >= 0 && wait < ceiling, `attempt ${attempt}: ${wait} not in [0, ${ceiling})`);
    }
    assert.equal(backoff(attempt, options, () => 0), 0, 'the lower bound is 0 (full jitter)');
    assert.ok(backoff(attempt, options, () => 1 - Number.EPSILON) < ceiling);
  }
});

test('backoff: the ceiling doubles with each attempt from baseMillis', () => {
  const half = () => 0.5;
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5, 6].map((attempt) => backoff(attempt, options, half)),
    [100, 200, 400, 800, 1600, 3200, 6400],
  );
  assert.equal(backoff(0, { baseMillis: 10, maxMillis: 100 }, () => 0.999), 9.99);
});

test('backoff: capped at maxMillis, however many attempts (no Infinity, no NaN)', () => {
  const almostOne = () => 0.999;
  for (const attempt of [7, 8, 20, 100, 1023, 1024, 5000, Number.MAX_SAFE_INTEGER, Infinity]) {
    assert.equal(backoff(attempt, options, almostOne), 19980, `attempt ${attempt}`);
  }
  // 0 * 2^1024 would be NaN, and a wait of NaN never ends: a base of 0 stays 0.
  assert.equal(backoff(5000, { baseMillis: 0, maxMillis: 1000 }, almostOne), 0);
  assert.equal(backoff(3, { baseMillis: 200, maxMillis: 0 }, almostOne), 0);
});

test('backoff: deterministic with an injected random source', () => {
  const draws = [0.25, 0.75, 0.1, 0.9, 0.5];
  const run = () => {
    const random = sequence(...draws);
    return [0, 1, 2, 3, 10].map((attempt) => backoff(attempt, options, random));
  };
  assert.deepEqual(run(), [50, 300, 80, 1440, 10000]);
  assert.deepEqual(run(), run(), 'the same draws give the same waits');
});

test('every wait of the client after a failure (polling errors, renewals) comes from backoff()', async (t) => {
  const src = new URL('../src/', import.meta.url).href;
  const calls = []; // for each Math.random() call made from the client's source: its frames in src/
  const random = Math.random;
  Math.random = function stub() {
    const frames = new Error().stack.split('\n').slice(2).filter((frame) => frame.includes(src));
    if (frames.length) calls.push(frames);
    return 0.5;
  };
  t.after(() => {
    Math.random = random;
  });
  const { fake, client, log } = await setup(t, {
    session: { expiresIn: 0.3 }, // renewal due at once (half the lifetime), failing until expiry and after
    renewAttemptsAfterExpiry: 1000,
    renew: async () => {
      throw new Error('backend down');
    },
  });
  fake.failWith = { status: 500, type: 'com.amazonaws.sqs#InternalFailure' };
  client.start();
  const from = (caller) => calls.filter((frames) => frames.some((frame) => frame.includes(caller)));
  await until(() => from('#poll').length >= 3 && from('#renewLoop').length >= 3, 5000);
  await client.stop();
  Math.random = random;
  assert.ok(log.error.some((e) => e.kind === 'sqs') && log.error.some((e) => e.kind === 'renew'));
  for (const frames of calls) {
    assert.match(frames[0], /\bbackoff \(.*\/src\/backoff\.js:/, `Math.random() called outside backoff():\n${frames.join('\n')}`);
    assert.match(frames[1], /#backoff .*\/src\/index\.js:/);
    assert.match(frames[2], /#(poll|renewLoop) .*\/src\/index\.js:/);
  }
});
