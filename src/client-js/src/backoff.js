// The one retry delay of the client: exponential backoff with full jitter (AWS Architecture Blog, "Exponential
// Backoff And Jitter"): uniform in [0, min(maxMillis, baseMillis * 2^attempt)). Every wait after a failure (polling
// errors, renewals) comes from here.

/**
 * @typedef {object} BackoffOptions
 * @property {number} baseMillis the ceiling of the first wait (attempt 0), in ms; it doubles with each attempt
 * @property {number} maxMillis the ceiling no wait reaches, in ms
 */

/**
 * A full-jitter exponential delay in ms: uniform in [0, min(maxMillis, baseMillis * 2^attempt)).
 * @param {number} attempt 0 for the first retry, 1 for the next, ...
 * @param {BackoffOptions} options
 * @param {() => number} [random] uniform in [0, 1); `Math.random` unless a test injects its own
 * @returns {number}
 */
export function backoff(attempt, { baseMillis, maxMillis }, random = Math.random) {
  // 2^1024 is Infinity, and 0 * Infinity is NaN: past 2^1023 the ceiling is maxMillis anyway (or 0 for a base of 0).
  const ceiling = Math.min(maxMillis, baseMillis * 2 ** Math.min(attempt, 1023));
  return random() * ceiling;
}
