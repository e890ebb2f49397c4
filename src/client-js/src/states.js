// The client's states and the moves between them: the one table (typed in index.d.ts as `StateTransitions`).
/** @import { ClientState, StateDetail, StateTransitions } from '../index.js' */

/** The state of a client that has not started. */
export const INITIAL_STATE = 'idle';

/**
 * For each state, the states the client may move to from it. `ended` is final, and nothing goes back to `idle`.
 * - `idle` → `following` (started; another tab may hold the lock), `polling`/`paused`/`offline` (started, polling at
 *   once), `ended` (stopped before it started)
 * - `following` → `polling`/`paused`/`offline` (this tab got the lock)
 * - `polling`, `paused` (every tab of the session hidden), `offline` (network events) and `renewing` (new credentials
 *   being fetched; shown unless offline) move between one another as those change
 * - `polling` → `following`: this tab, hidden, handed the polling over to a visible tab
 * - any state but `ended` → `ended`
 * @type {StateTransitions}
 */
export const STATE_TRANSITIONS = Object.freeze({
  idle: Object.freeze(/** @type {const} */ (['following', 'polling', 'paused', 'offline', 'ended'])),
  following: Object.freeze(/** @type {const} */ (['polling', 'paused', 'offline', 'ended'])),
  polling: Object.freeze(/** @type {const} */ (['following', 'paused', 'offline', 'renewing', 'ended'])),
  paused: Object.freeze(/** @type {const} */ (['polling', 'offline', 'renewing', 'ended'])),
  offline: Object.freeze(/** @type {const} */ (['polling', 'paused', 'renewing', 'ended'])),
  renewing: Object.freeze(/** @type {const} */ (['polling', 'paused', 'offline', 'ended'])),
  ended: Object.freeze(/** @type {const} */ ([])),
});

/**
 * The `state` event's detail for the move from `previous` to `state`. Throws when the table does not allow that
 * move, so that a move it does not list can never be emitted.
 * @param {ClientState} previous
 * @param {ClientState} state
 * @returns {StateDetail}
 */
export function transition(previous, state) {
  /** @type {readonly ClientState[] | undefined} */
  const allowed = Object.hasOwn(STATE_TRANSITIONS, previous) ? STATE_TRANSITIONS[previous] : undefined;
  if (!allowed?.includes(state)) throw new Error(`the client's state cannot go from ${previous} to ${state}`);
  return /** @type {StateDetail} */ ({ state, previous });
}
