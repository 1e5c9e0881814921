// Pure status logic of live pages: no DOM, no network, so it can be tested
// with `node --test` and reasoned about on its own.
//
// A page holds live items of any kind (enrollments, orders, certificates),
// each in its envelope {kind, key, item}. Versions are the learner's: every
// change of any item takes the next integer. `contiguous` is the highest version V such that the page has seen
// every change up to V; it is what the page asks to catch up from. Versions
// seen above it wait in `seen` until the gap closes (an out-of-order event
// arrives) or a heartbeat reports a version the page lacks (a lost event),
// which asks for a resync.

/**
 * A learner-facing string in the page's language: Django's JavaScript catalog
 * (the page loads it as ``gettext``) or the English text itself (node tests).
 * ``%(name)s`` takes ``values.name``.
 */
export function gettext(text, values = null) {
  const translated = typeof globalThis.gettext === "function" ? globalThis.gettext(text) : text;
  return values ? translated.replace(/%\((\w+)\)s/g, (_, name) => String(values[name] ?? "")) : translated;
}

/** @typedef {{kind: string, key: string, item: {version: number, status?: string}}} Entry
 *  A live item in its envelope (docs/asyncapi.yaml, Item): any kind the server registers. */

/** @typedef {{course_id: string, course_title: string, mode: string, status: string,
 *             version: number, failure_reason: string, url: string}} Enrollment */

const LEGACY_KIND = "enrollment"; // the one kind of protocol 1
const LEGACY_KEY = "course_id";

const slot = (entry) => `${entry.kind} ${entry.key}`;

export function initialState(version, entries = []) {
  const items = {};
  for (const entry of entries) items[slot(entry)] = entry;
  return { contiguous: version, seen: [], items };
}

/** The envelopes a server message carries, in either protocol (realtime/protocol.py, items_in). */
export function entriesIn(message) {
  const legacy = (enrollment) => ({ kind: LEGACY_KIND, key: enrollment[LEGACY_KEY], item: enrollment });
  switch (message.type) {
    case "catchup":
      return message.items ?? (message.enrollments ?? []).map(legacy);
    case "item.updated":
      return [{ kind: message.kind, key: message.key, item: message.item }];
    case "enrollment.updated":
      return [legacy(message.enrollment)];
    default:
      return [];
  }
}

/** The items of one kind the page holds. */
export function itemsOf(state, kind) {
  return Object.values(state.items).filter((entry) => entry.kind === kind).map((entry) => entry.item);
}

function mergeItems(items, entries) {
  const next = { ...items };
  const changed = [];
  for (const entry of entries) {
    const known = next[slot(entry)];
    if (!known || entry.item.version > known.item.version) {
      next[slot(entry)] = entry;
      changed.push(entry);
    }
  }
  return { items: next, changed };
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
export function applyCatchup(state, version, entries) {
  const { items, changed } = mergeItems(state.items, entries);
  const clock = advance(Math.max(state.contiguous, version), state.seen);
  return { state: { ...clock, items }, changed };
}

/** Apply one live event. Duplicates and events older than the item change nothing. */
export function applyUpdate(state, version, entry) {
  const { items, changed } = mergeItems(state.items, [entry]);
  const clock = advance(state.contiguous, [...state.seen, version]);
  return { state: { ...clock, items }, changed };
}

/**
 * Apply any server message: `changed` lists the entries to render again, and
 * `resync` is true when the page should say hello again (a heartbeat beyond it).
 */
export function applyMessage(state, message) {
  switch (message.type) {
    case "catchup":
      return { ...applyCatchup(state, message.version, entriesIn(message)), resync: false };
    case "item.updated":
    case "enrollment.updated":
      return { ...applyUpdate(state, message.version, entriesIn(message)[0]), resync: false };
    case "heartbeat":
      return { state, changed: [], resync: needsResync(state, message.version) };
    default:
      return { state, changed: [], resync: false };
  }
}

/** True when the server holds a version the page has not seen: ask to catch up. */
export function needsResync(state, serverVersion) {
  return serverVersion > state.contiguous;
}

const LABELS = {
  pending: () => gettext("Preparing"),
  active: () => gettext("Ready"),
  failed: () => gettext("Needs attention"),
  inactive: () => gettext("Refunded"),
};

/** What a tile shows for an enrollment. */
export function tileView(enrollment) {
  const { status } = enrollment;
  const active = status === "active";
  return {
    status,
    badge: status === "inactive" && enrollment.failure_reason ? gettext("Removed") : LABELS[status]?.() ?? status,
    href: active ? enrollment.url : null,
    linkDisabled: !active,
    showIndicator: status === "pending",
    showFailure: status === "failed",
    failureReason: enrollment.failure_reason || gettext("We could not prepare your seat."),
    showPaidNote: status === "failed" && Boolean(enrollment.paid),
    showInactive: status === "inactive",
    inactiveNote: enrollment.failure_reason
      ? gettext("Access removed: %(reason)s", { reason: enrollment.failure_reason })
      : gettext("This enrollment was refunded."),
    showCertificate: active,
    announcement: announcementFor(enrollment),
  };
}

function announcementFor({ status, course_title: title, failure_reason: reason }) {
  switch (status) {
    case "active":
      return gettext("%(title)s is ready. You can open the course now.", { title });
    case "failed":
      return reason
        ? gettext("We could not prepare your seat in %(title)s: %(reason)s", { title, reason })
        : gettext("We could not prepare your seat in %(title)s.", { title });
    case "pending":
      return gettext("Your seat in %(title)s is being prepared.", { title });
    default:
      return reason
        ? gettext("Your access to %(title)s was removed: %(reason)s", { title, reason })
        : gettext("%(title)s was refunded.", { title });
  }
}

/**
 * One announcement for a burst: the messages of changes that arrive together
 * are read as one ("3 updates: …"), not one after another over each other.
 */
export function summarize(messages) {
  if (messages.length <= 2) return messages.join(" ");
  return gettext("%(count)s updates. %(first)s And %(more)s more.",
    { count: messages.length, first: messages.slice(0, 2).join(" "), more: messages.length - 2 });
}

/** What an active tile shows for its certificate (null: none asked for yet). */
export function certificateView(certificate) {
  if (!certificate) return { text: null, href: null, canRequest: true, requestLabel: gettext("Get your certificate") };
  switch (certificate.status) {
    case "ready":
      return { text: gettext("Your certificate is ready."), href: certificate.download_url, canRequest: false, requestLabel: null };
    case "failed":
      return { text: certificate.failure_reason, href: null, canRequest: true, requestLabel: gettext("Try again") };
    default:
      return { text: gettext("Generating your certificate…"), href: null, canRequest: false, requestLabel: null };
  }
}

const ORDER_STATUS = {
  pending: () => gettext("Waiting for your payment."),
  open: () => gettext("Your seats are being prepared…"),
  complete: () => gettext("All your seats are ready."),
};

const LINE_LABELS = { open: () => gettext("Preparing"), complete: () => gettext("Ready"), fulfillment_error: () => gettext("Needs attention") };

/** What a receipt shows for an order: its status line and, per line, whether it opens the course. */
export function receiptView(order) {
  const failed = order.status === "fulfillment_error";
  return {
    status: order.status,
    text: failed
      ? gettext("Some seats could not be prepared: %(reason)s", { reason: order.failure_reason })
      : ORDER_STATUS[order.status]?.() ?? order.status,
    lines: order.lines.map((line) => ({
      courseId: line.course_id,
      status: line.status,
      badge: LINE_LABELS[line.status]?.() ?? line.status,
      href: line.status === "complete" ? line.url : null,
      showFailure: line.status === "fulfillment_error",
      failureReason: line.failure_reason,
    })),
  };
}

/**
 * What the connection badge says while the socket is down and the page polls
 * over HTTP: the last poll worked (updates still arrive, a little later), or it
 * failed too (nothing arrives until the network is back).
 */
export function pollingState(lastPollWorked) {
  return lastPollWorked
    ? { state: "polling", label: gettext("Updates may take a few seconds") }
    : { state: "offline", label: gettext("Offline: we keep trying. Reload to check") };
}

/** Milliseconds before reconnect attempt `attempt` (0-based): exponential with jitter. */
export function backoffDelay(attempt, { baseMs = 500, capMs = 30000 } = {}, random = Math.random) {
  const ceiling = Math.min(capMs, baseMs * 2 ** attempt);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

// Close codes the server sends (docs/asyncapi.yaml, x-close-codes).
export const CLOSE = {
  goingAway: 4001, unauthenticated: 4401, forbidden: 4403, tooManySockets: 4409, rateLimited: 4429, unavailable: 4503,
};

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
      return { reconnectMs: null, poll: false, state: "signed-out", label: gettext("Signed out: sign in again for updates") };
    case CLOSE.forbidden:
      return { reconnectMs: null, poll: false, state: "offline", label: gettext("Not allowed") };
    case CLOSE.tooManySockets:
      return { reconnectMs: null, poll: false, state: "offline", label: gettext("Paused: too many open dashboards") };
    case CLOSE.rateLimited:
      return {
        reconnectMs: RATE_LIMITED_FLOOR_MS + backoffDelay(attempt, {}, random),
        poll: true,
        state: "reconnecting",
        label: gettext("Reconnecting…"),
      };
    case CLOSE.goingAway:
      return {
        reconnectMs: retryAfterMs ?? backoffDelay(0, { baseMs: 2000 }, random),
        poll: false,
        state: "reconnecting",
        label: gettext("Reconnecting…"),
      };
    default:
      return { reconnectMs: backoffDelay(attempt, {}, random), poll: true, state: "reconnecting", label: gettext("Reconnecting…") };
  }
}

/** How long a page running an old build waits for its pending tiles before it reloads anyway. */
export const RELOAD_NOTICE_MS = 60000;

/**
 * What a page running frontend build `pageBuild` does when the server says it
 * serves `serverBuild`: "stay" (same build, the server did not say, or this
 * tab already reloaded for that build and still got the old page: a deploy
 * under way, whose web servers lag its socket servers), "reload" now (the
 * page is not `busy`: a calm moment), or "notice" (say an update is ready and
 * reload once the page is calm, or after RELOAD_NOTICE_MS). A page is busy
 * while something it shows is still under way (a pending seat).
 */
export function reloadAction(pageBuild, serverBuild, busy, reloadedFor = null) {
  if (!serverBuild || !pageBuild || serverBuild === pageBuild || serverBuild === reloadedFor) return "stay";
  return busy ? "notice" : "reload";
}
