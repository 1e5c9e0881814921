import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import {
  applyCatchup,
  applyMessage,
  applyUpdate,
  backoffDelay,
  certificateView,
  CLOSE,
  closeAction,
  entriesIn,
  pollingState,
  initialState,
  itemsOf,
  needsResync,
  receiptView,
  reloadAction,
  summarize,
  tileView,
} from "../src/status.js";

const enrollment = (status, version, id = "course-v1:A+B+C") => ({
  course_id: id,
  course_title: "A course",
  mode: "audit",
  status,
  version,
  failure_reason: status === "failed" ? "Platform down." : "",
  url: `/courses/${id}/`,
});
// An enrollment in its envelope, as the page holds it.
const course = (status, version, id = "course-v1:A+B+C") => ({
  kind: "enrollment", key: id, item: enrollment(status, version, id),
});
const tile = (state, id) => state.items[`enrollment ${id}`].item;

test("a live update turns the pending tile active", () => {
  const state = initialState(1, [course("pending", 1)]);
  const { state: next, changed } = applyUpdate(state, 2, course("active", 2));
  assert.equal(tile(next, "course-v1:A+B+C").status, "active");
  assert.equal(next.contiguous, 2);
  assert.deepEqual(changed.map((e) => e.item.status), ["active"]);
});

test("a duplicate event changes nothing", () => {
  const first = applyUpdate(initialState(1, [course("pending", 1)]), 2, course("active", 2)).state;
  const again = applyUpdate(first, 2, course("active", 2));
  assert.deepEqual(again.changed, []);
  assert.deepEqual(again.state, first);
});

test("an older event after a newer one does not regress the tile", () => {
  const state = initialState(2, [course("active", 2)]);
  const { state: next, changed } = applyUpdate(state, 1, course("pending", 1));
  assert.equal(tile(next, "course-v1:A+B+C").status, "active");
  assert.deepEqual(changed, []);
  assert.equal(next.contiguous, 2);
});

test("out-of-order events: the gap closes when the missing one arrives", () => {
  let state = initialState(1, [course("pending", 1, "x"), course("pending", 0, "y")]);
  state = applyUpdate(state, 3, course("active", 3, "y")).state;
  assert.equal(state.contiguous, 1, "version 2 is still missing");
  assert.deepEqual(state.seen, [3]);
  assert.equal(needsResync(state, 3), true);
  state = applyUpdate(state, 2, course("active", 2, "x")).state;
  assert.equal(state.contiguous, 3);
  assert.deepEqual(state.seen, []);
  assert.equal(needsResync(state, 3), false);
  assert.equal(tile(state, "x").status, "active");
  assert.equal(tile(state, "y").status, "active");
});

test("a lost event is noticed through the heartbeat's version", () => {
  const state = initialState(4, [course("pending", 4)]);
  assert.equal(needsResync(state, 4), false);
  assert.equal(needsResync(state, 5), true);
});

test("a catch-up applies newer tiles, skips stale ones and moves the version", () => {
  let state = initialState(2, [course("active", 2, "a"), course("pending", 1, "b")]);
  state = applyUpdate(state, 5, course("failed", 5, "c")).state;
  const { state: next, changed } = applyCatchup(state, 4, [course("pending", 1, "a"), course("active", 4, "b")]);
  assert.equal(tile(next, "a").status, "active");
  assert.equal(tile(next, "b").status, "active");
  assert.equal(next.contiguous, 5, "the event seen at 5 joins once 4 is known");
  assert.deepEqual(changed.map((e) => e.key), ["b"]);
});

test("a catch-up adds an enrollment the page did not render", () => {
  const { state, changed } = applyCatchup(initialState(0), 1, [course("pending", 1, "new")]);
  assert.equal(tile(state, "new").status, "pending");
  assert.equal(changed.length, 1);
});

test("tile views: the link is enabled only when active", () => {
  const pending = tileView(enrollment("pending", 1));
  assert.equal(pending.href, null);
  assert.equal(pending.linkDisabled, true);
  assert.equal(pending.showIndicator, true);
  assert.match(pending.announcement, /being prepared/);

  const active = tileView(enrollment("active", 2));
  assert.equal(active.href, "/courses/course-v1:A+B+C/");
  assert.equal(active.linkDisabled, false);
  assert.equal(active.showIndicator, false);
  assert.match(active.announcement, /is ready/);

  const failed = tileView(enrollment("failed", 3));
  assert.equal(failed.showFailure, true);
  assert.equal(failed.failureReason, "Platform down.");
  assert.equal(failed.href, null);

  assert.equal(tileView(enrollment("inactive", 4)).showInactive, true);
});

test("backoff grows exponentially, stays within the cap and is jittered", () => {
  const low = (attempt) => backoffDelay(attempt, { baseMs: 500, capMs: 30000 }, () => 0);
  const high = (attempt) => backoffDelay(attempt, { baseMs: 500, capMs: 30000 }, () => 1);
  assert.deepEqual([0, 1, 2, 3].map(high), [500, 1000, 2000, 4000]);
  assert.deepEqual([0, 1, 2, 3].map(low), [250, 500, 1000, 2000]);
  assert.equal(high(20), 30000);
  assert.equal(low(20), 15000);
});

test("each close code the server sends has its own reaction", () => {
  const half = () => 0.5;
  assert.deepEqual(closeAction(CLOSE.unauthenticated, 0, {}, half), {
    reconnectMs: null, poll: false, state: "signed-out", label: "Signed out: sign in again for updates",
  });
  assert.deepEqual(closeAction(CLOSE.forbidden, 0, {}, half).reconnectMs, null, "not staff: stop");
  const crowded = closeAction(CLOSE.tooManySockets, 3, {}, half);
  assert.equal(crowded.reconnectMs, null, "over the socket limit: stop, do not loop");
  assert.match(crowded.label, /too many open dashboards/);
  const flooded = closeAction(CLOSE.rateLimited, 0, {}, half);
  assert.ok(flooded.reconnectMs >= 10000, "rate limited: back off at least 10 s");
  assert.ok(flooded.reconnectMs > closeAction(1006, 0, {}, half).reconnectMs);
  assert.equal(flooded.poll, true);
  assert.equal(closeAction(CLOSE.goingAway, 7, { retryAfterMs: 4321 }, half).reconnectMs, 4321,
    "a draining node names the delay");
  assert.equal(closeAction(CLOSE.goingAway, 7, {}, half).poll, false);
  const dropped = closeAction(CLOSE.unavailable, 2, {}, half);
  assert.deepEqual([dropped.reconnectMs, dropped.poll], [backoffDelay(2, {}, half), true]);
});

test("a page on an old frontend build reloads when nothing is pending, else after a notice", () => {
  assert.equal(reloadAction("build-1", "build-1", true), "stay");
  assert.equal(reloadAction("build-1", undefined, false), "stay", "an older server that names no build");
  assert.equal(reloadAction("build-1", "build-2", false), "reload");
  assert.equal(reloadAction("build-1", "build-2", true), "notice");
  assert.equal(reloadAction("build-1", "build-2", false, "build-2"), "stay", "reloaded once already: no loop");
});

test("items of several kinds live side by side, each by its own key and version", () => {
  const certificate = (status, version) => ({ kind: "certificate", key: "course-v1:A+B+C", item: { status, version } });
  let state = initialState(1, [course("active", 1)]);
  state = applyUpdate(state, 2, certificate("generating", 2)).state;
  state = applyUpdate(state, 3, certificate("ready", 3)).state;
  assert.equal(state.contiguous, 3);
  assert.equal(tile(state, "course-v1:A+B+C").status, "active", "same key, another kind: untouched");
  assert.deepEqual(itemsOf(state, "certificate").map((c) => c.status), ["ready"]);
});

test("protocol 1 and protocol 2 messages carry the same entries", () => {
  const entry = course("active", 7);
  const legacy = { type: "enrollment.updated", version: 7, enrollment: entry.item };
  const current = { type: "item.updated", version: 7, ...entry };
  assert.deepEqual(entriesIn(legacy), [entry]);
  assert.deepEqual(entriesIn(current), [entry]);
  assert.deepEqual(entriesIn({ type: "catchup", version: 7, enrollments: [entry.item], build: "b" }), [entry]);
  assert.deepEqual(entriesIn({ type: "catchup", version: 7, items: [entry], build: "b" }), [entry]);
  assert.deepEqual(applyMessage(initialState(6), legacy).state, applyMessage(initialState(6), current).state);
});

test("a certificate: ask, wait, download; a failed one says why and can be asked for again", () => {
  const none = certificateView(null);
  assert.deepEqual([none.canRequest, none.href, none.text], [true, null, null]);
  const generating = certificateView({ status: "generating", download_url: "", failure_reason: "" });
  assert.deepEqual([generating.canRequest, generating.href], [false, null]);
  assert.match(generating.text, /Generating/);
  const ready = certificateView({ status: "ready", download_url: "/certificates/c/", failure_reason: "" });
  assert.deepEqual([ready.canRequest, ready.href], [false, "/certificates/c/"]);
  const failed = certificateView({ status: "failed", download_url: "", failure_reason: "Service down." });
  assert.deepEqual([failed.canRequest, failed.text, failed.requestLabel], [true, "Service down.", "Try again"]);
  assert.equal(tileView(enrollment("active", 1)).showCertificate, true);
  assert.equal(tileView(enrollment("pending", 1)).showCertificate, false);
});

test("a receipt: each line opens its course once complete; a failed one shows why", () => {
  const line = (status, reason = "") => ({ course_id: status, course_title: "T", mode: "audit", status, failure_reason: reason, url: `/courses/${status}/` });
  const view = receiptView({ status: "fulfillment_error", failure_reason: "No.", lines: [line("complete"), line("fulfillment_error", "No."), line("open")] });
  assert.match(view.text, /could not be prepared: No\./);
  assert.deepEqual(view.lines.map((l) => l.href), ["/courses/complete/", null, null]);
  assert.deepEqual(view.lines.map((l) => l.showFailure), [false, true, false]);
  assert.equal(view.lines[1].failureReason, "No.");
  assert.equal(receiptView({ status: "complete", failure_reason: "", lines: [] }).text, "All your seats are ready.");
});

test("while polling, the badge says whether updates still arrive", () => {
  assert.deepEqual(pollingState(true), { state: "polling", label: "Updates may take a few seconds" });
  assert.equal(pollingState(false).state, "offline");
  assert.match(pollingState(false).label, /Reload to check/);
});

test("plain words: a failed paid seat says the payment is safe; revoked and refunded are told apart", () => {
  const failedPaid = tileView({ ...enrollment("failed", 3), paid: true });
  assert.equal(failedPaid.showPaidNote, true);
  assert.match(failedPaid.announcement, /Platform down\./, "the announcement gives the reason");
  assert.equal(tileView({ ...enrollment("failed", 3), paid: false }).showPaidNote, false);
  const refunded = tileView(enrollment("inactive", 4));
  assert.deepEqual([refunded.badge, refunded.inactiveNote], ["Refunded", "This enrollment was refunded."]);
  const revoked = tileView({ ...enrollment("inactive", 4), failure_reason: "Your school ended its plan." });
  assert.deepEqual([revoked.badge, revoked.inactiveNote], ["Removed", "Access removed: Your school ended its plan."]);
  assert.match(revoked.announcement, /was removed: Your school ended its plan\./);
});

test("a burst of changes is announced as one summary", () => {
  assert.equal(summarize(["A is ready."]), "A is ready.");
  assert.equal(summarize(["A is ready.", "B is ready."]), "A is ready. B is ready.");
  assert.equal(summarize(["A.", "B.", "C.", "D."]), "4 updates. A. B. And 2 more.");
});

// The same table of cases drives the Python client's tests (realtime/tests/test_client.py).
const versionCases = JSON.parse(readFileSync(new URL("./version-cases.json", import.meta.url), "utf8"));
for (const { name, start, steps, expect } of versionCases) {
  test(`version rules (shared with the Python client): ${name}`, () => {
    let state = initialState(start.version, start.tiles.map((t) => ({ kind: "enrollment", key: t.course_id, item: t })));
    for (const { message, resync } of steps) {
      const result = applyMessage(state, message);
      state = result.state;
      if (message.type === "heartbeat") assert.equal(result.resync, resync);
    }
    assert.equal(state.contiguous, expect.contiguous);
    const statuses = Object.fromEntries(itemsOf(state, "enrollment").map((t) => [t.course_id, [t.status, t.version]]));
    assert.deepEqual(statuses, expect.statuses);
  });
}
