// Pure status logic of the live dashboard: no DOM, no network, so it can be
// tested with `node --test` and reasoned about on its own.
//
// Versions are the learner's: every enrollment change takes the next
// integer. `contiguous` is the highest version V such that the page has seen
// every change up to V; it is what the page asks to catch up from. Versions
// seen above it wait in `seen` until the gap closes (an out-of-order event
// arrives) or a heartbeat reports a version the page lacks (a lost event),
// which asks for a resync.

/** @typedef {{course_id: string, course_title: string, mode: string, status: string,
 *             version: number, failure_reason: string, url: string}} Enrollment */

export function initialState(version, enrollments = []) {
  const tiles = {};
  for (const enrollment of enrollments) tiles[enrollment.course_id] = enrollment;
  return { contiguous: version, seen: [], tiles };
}

function mergeTiles(tiles, enrollments) {
  const next = { ...tiles };
  const changed = [];
  for (const enrollment of enrollments) {
    const known = next[enrollment.course_id];
    if (!known || enrollment.version > known.version) {
      next[enrollment.course_id] = enrollment;
      changed.push(enrollment);
    }
  }
  return { tiles: next, changed };
}

function advance(contiguous, seen) {
  const pending = new Set(seen.filter((v) => v > contiguous));
  while (pending.has(contiguous + 1)) {
    contiguous += 1;
    pending.delete(contiguous);
  }
  return { contiguous, seen: [...pending].sort((a, b) => a - b) };
}

/** Apply a catch-up (from the socket or the HTTP fallback): everything up to `version`. */
export function applyCatchup(state, version, enrollments) {
  const { tiles, changed } = mergeTiles(state.tiles, enrollments);
  const clock = advance(Math.max(state.contiguous, version), state.seen);
  return { state: { ...clock, tiles }, changed };
}

/** Apply one live event. Duplicates and events older than the tile change nothing. */
export function applyUpdate(state, version, enrollment) {
  const { tiles, changed } = mergeTiles(state.tiles, [enrollment]);
  const clock = advance(state.contiguous, [...state.seen, version]);
  return { state: { ...clock, tiles }, changed };
}

/** True when the server holds a version the page has not seen: ask to catch up. */
export function needsResync(state, serverVersion) {
  return serverVersion > state.contiguous;
}

const LABELS = {
  pending: "Preparing",
  active: "Ready",
  failed: "Needs attention",
  inactive: "Refunded",
};

/** What a tile shows for an enrollment. */
export function tileView(enrollment) {
  const { status } = enrollment;
  const active = status === "active";
  return {
    status,
    badge: LABELS[status] ?? status,
    href: active ? enrollment.url : null,
    linkDisabled: !active,
    showIndicator: status === "pending",
    showFailure: status === "failed",
    failureReason: enrollment.failure_reason || "We could not prepare your seat.",
    showInactive: status === "inactive",
    announcement: announcementFor(enrollment),
  };
}

function announcementFor({ status, course_title: title }) {
  switch (status) {
    case "active":
      return `${title} is ready. You can open the course now.`;
    case "failed":
      return `We could not prepare your seat in ${title}.`;
    case "pending":
      return `Your seat in ${title} is being prepared.`;
    default:
      return `${title} is no longer active.`;
  }
}

/** Milliseconds before reconnect attempt `attempt` (0-based): exponential with jitter. */
export function backoffDelay(attempt, { baseMs = 500, capMs = 30000 } = {}, random = Math.random) {
  const ceiling = Math.min(capMs, baseMs * 2 ** attempt);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

// Close codes the server sends (docs/asyncapi.yaml, x-close-codes).
export const CLOSE = { goingAway: 4001, unauthenticated: 4401, tooManySockets: 4409, rateLimited: 4429, unavailable: 4503 };

const RATE_LIMITED_FLOOR_MS = 10000;

/**
 * What the page does after its socket closed with `code`, on reconnect attempt
 * `attempt` (0-based): `reconnectMs` null means stay closed; `poll` keeps the
 * tiles converging over HTTP meanwhile. `retryAfterMs` is the delay the
 * server named in the error before a 4001 (a drain spreads its pages out).
 */
export function closeAction(code, attempt, { retryAfterMs = null } = {}, random = Math.random) {
  switch (code) {
    case CLOSE.unauthenticated:
      return { reconnectMs: null, poll: false, state: "offline", label: "Signed out" };
    case CLOSE.tooManySockets:
      return { reconnectMs: null, poll: false, state: "offline", label: "Paused: too many open dashboards" };
    case CLOSE.rateLimited:
      return {
        reconnectMs: RATE_LIMITED_FLOOR_MS + backoffDelay(attempt, {}, random),
        poll: true,
        state: "reconnecting",
        label: "Reconnecting…",
      };
    case CLOSE.goingAway:
      return {
        reconnectMs: retryAfterMs ?? backoffDelay(0, { baseMs: 2000 }, random),
        poll: false,
        state: "reconnecting",
        label: "Reconnecting…",
      };
    default:
      return { reconnectMs: backoffDelay(attempt, {}, random), poll: true, state: "reconnecting", label: "Reconnecting…" };
  }
}

/** How long a page running an old build waits for its pending tiles before it reloads anyway. */
export const RELOAD_NOTICE_MS = 60000;

/**
 * What a page running frontend build `pageBuild` does when the server says it
 * serves `serverBuild`: "stay" (same build, the server did not say, or this
 * tab already reloaded for that build and still got the old page: a deploy
 * under way, whose web servers lag its socket servers), "reload" now (nothing
 * pending: a calm moment), or "notice" (say an update is ready and reload
 * once no tile is pending, or after RELOAD_NOTICE_MS).
 */
export function reloadAction(pageBuild, serverBuild, tiles, reloadedFor = null) {
  if (!serverBuild || !pageBuild || serverBuild === pageBuild || serverBuild === reloadedFor) return "stay";
  return Object.values(tiles).some((tile) => tile.status === "pending") ? "notice" : "reload";
}
