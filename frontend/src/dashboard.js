// The dashboard's live updates: a WebSocket to /ws/dashboard/, with
// reconnects and an HTTP polling fallback. Status rules live in status.js;
// this file only talks to the network and the DOM.
import {
  applyCatchup,
  applyUpdate,
  backoffDelay,
  closeAction,
  initialState,
  needsResync,
  reloadAction,
  RELOAD_NOTICE_MS,
  tileView,
} from "./status.js";

const tilesRoot = document.getElementById("tiles");
const announcer = document.querySelector('[data-role="announcer"]');
const connectionBadge = document.querySelector('[data-role="connection"]');
const emptyNote = document.querySelector('[data-role="empty"]');
const tileTemplate = document.querySelector('template[data-role="tile-template"]');
const debugPanel = document.querySelector('[data-role="debug-panel"]');
const updateNotice = document.querySelector('[data-role="update-notice"]');
const heartbeatMs = Number(tilesRoot.dataset.heartbeatSeconds || 20) * 1000;
const pageBuild = tilesRoot.dataset.frontendBuild;

const POLL_BASE_MS = 2000;
const POLL_CAP_MS = 30000;
const EVENT_LOG_SIZE = 50;
const RELOADED_FOR = "learnwell.reloadedForBuild"; // sessionStorage: one reload per new build

// The tiles the server rendered, as data (the same wire shape as every catch-up).
let state = initialState(Number(tilesRoot.dataset.version), JSON.parse(document.getElementById("initial-tiles").textContent));
let socket = null;
let reconnectAttempt = 0;
let reconnectTimer = null;
let watchdogTimer = null;
let pollTimer = null;
let pollFailures = 0;
let retryAfterMs = null; // named by the server's error before a 4001 (drain)
let serverBuild = null; // the frontend build the server named in its last catch-up
let reloadDeadline = null;
const eventLog = [];

function setConnection(name, label) {
  connectionBadge.dataset.state = name;
  connectionBadge.textContent = label;
  renderDebug();
}

// The staff debug panel (shown with ?debug=1): state, version and last events.
function renderDebug() {
  if (!debugPanel) return;
  const field = (name) => debugPanel.querySelector(`[data-debug="${name}"]`);
  field("connection").textContent = connectionBadge.dataset.state;
  field("version").textContent = String(state.contiguous);
  field("seen").textContent = state.seen.length ? state.seen.join(", ") : "none";
  field("polling").textContent = pollTimer === null ? "off" : "polling";
  field("events").replaceChildren(
    ...eventLog.slice(-10).reverse().map((event) => {
      const item = document.createElement("li");
      item.textContent = `${event.at.slice(11, 23)} ${event.source} → v${event.version}, ${event.changed} changed`;
      return item;
    }),
  );
}

function findTile(courseId) {
  return tilesRoot.querySelector(`.tile[data-course-id="${CSS.escape(courseId)}"]`);
}

function newTile(enrollment) {
  const tile = tileTemplate.content.firstElementChild.cloneNode(true);
  tile.dataset.courseId = enrollment.course_id;
  tile.dataset.mode = enrollment.mode;
  tile.dataset.url = enrollment.url;
  tile.querySelector(".mode").textContent = enrollment.mode;
  tile.querySelector('[data-role="course-link"]').textContent = enrollment.course_title;
  tile.querySelector(".course-key").textContent = enrollment.course_id;
  tile.querySelector('input[name="course_id"]').value = enrollment.course_id;
  tile.querySelector('input[name="mode"]').value = enrollment.mode;
  tilesRoot.prepend(tile);
  emptyNote.hidden = true;
  return tile;
}

function renderTile(enrollment) {
  const tile = findTile(enrollment.course_id) || newTile(enrollment);
  const view = tileView(enrollment);
  const previous = tile.dataset.status;
  tile.dataset.status = view.status;
  tile.dataset.version = String(enrollment.version);
  tile.querySelector('[data-role="status-badge"]').textContent = view.badge;
  const link = tile.querySelector('[data-role="course-link"]');
  if (view.href) {
    link.setAttribute("href", view.href);
    link.removeAttribute("aria-disabled");
  } else {
    link.removeAttribute("href");
    link.setAttribute("aria-disabled", "true");
  }
  tile.querySelector('[data-role="indicator"]').hidden = !view.showIndicator;
  tile.querySelector('[data-role="failure"]').hidden = !view.showFailure;
  tile.querySelector('[data-role="failure-reason"]').textContent = view.failureReason;
  tile.querySelector('[data-role="inactive-note"]').hidden = !view.showInactive;
  if (previous !== view.status) announcer.textContent = view.announcement;
}

function commit(result, source) {
  state = result.state;
  result.changed.forEach(renderTile);
  eventLog.push({ at: new Date().toISOString(), source, version: state.contiguous, changed: result.changed.length });
  if (eventLog.length > EVENT_LOG_SIZE) eventLog.shift();
  renderDebug();
  reloadIfOutdated();
}

// A deploy replaced the frontend: reload at a calm moment (no tile pending),
// or after a notice if a seat stays pending that long.
function reloadIfOutdated() {
  const action = reloadAction(pageBuild, serverBuild, state.tiles, sessionStorage.getItem(RELOADED_FOR));
  if (action === "reload") {
    reloadForNewBuild();
  } else if (action === "notice" && reloadDeadline === null) {
    updateNotice.hidden = false;
    reloadDeadline = setTimeout(reloadForNewBuild, RELOAD_NOTICE_MS);
  }
}

function reloadForNewBuild() {
  sessionStorage.setItem(RELOADED_FOR, serverBuild);
  location.reload();
}

function sendHello() {
  socket.send(JSON.stringify({ type: "hello", since: state.contiguous }));
}

function onMessage(message) {
  resetWatchdog();
  switch (message.type) {
    case "catchup":
      serverBuild = message.build ?? serverBuild;
      commit(applyCatchup(state, message.version, message.enrollments), "catchup");
      break;
    case "enrollment.updated":
      commit(applyUpdate(state, message.version, message.enrollment), "push");
      break;
    case "heartbeat":
      if (needsResync(state, message.version)) sendHello();
      break;
    case "error":
      console.warn("dashboard socket error:", message.code, message.message);
      if (message.retry_after_ms !== undefined) retryAfterMs = message.retry_after_ms;
      break;
    default:
      break;
  }
}

// A socket that stops delivering heartbeats is dead even if the browser has
// not noticed: close it and let the reconnect logic take over.
function resetWatchdog() {
  clearTimeout(watchdogTimer);
  watchdogTimer = setTimeout(() => socket && socket.close(), heartbeatMs * 2.5);
}

function connect() {
  reconnectTimer = null;
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(`${scheme}//${location.host}/ws/dashboard/`);
  socket = ws;
  setConnection("connecting", reconnectAttempt ? "Reconnecting…" : "Connecting…");
  ws.addEventListener("open", () => {
    reconnectAttempt = 0;
    stopPolling();
    setConnection("live", "Live");
    resetWatchdog();
    sendHello();
  });
  ws.addEventListener("message", (event) => {
    try {
      onMessage(JSON.parse(event.data));
    } catch (error) {
      console.warn("dashboard: unreadable message", error);
    }
  });
  ws.addEventListener("close", (event) => {
    if (socket !== ws) return;
    socket = null;
    clearTimeout(watchdogTimer);
    const action = closeAction(event.code, reconnectAttempt++, { retryAfterMs });
    retryAfterMs = null;
    setConnection(action.state, action.label);
    if (action.poll) startPolling();
    if (action.reconnectMs !== null) reconnectTimer = setTimeout(connect, action.reconnectMs);
  });
}

async function pollOnce() {
  try {
    const response = await fetch(`/api/v1/enrollments/?since=${state.contiguous}`, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const body = await response.json();
    commit(applyCatchup(state, body.version, body.enrollments), "poll");
    pollFailures = 0;
  } catch (error) {
    pollFailures += 1;
  }
  const delay = backoffDelay(pollFailures, { baseMs: POLL_BASE_MS, capMs: POLL_CAP_MS });
  pollTimer = setTimeout(pollOnce, pollFailures ? delay : POLL_BASE_MS);
}

function startPolling() {
  if (pollTimer === null) pollTimer = setTimeout(pollOnce, 0);
}

function stopPolling() {
  clearTimeout(pollTimer);
  pollTimer = null;
  pollFailures = 0;
}

// For QA and browser tests: read the state, drop the socket on purpose.
window.learnerDashboard = {
  get state() {
    return state;
  },
  get connection() {
    return connectionBadge.dataset.state;
  },
  get polling() {
    return pollTimer !== null;
  },
  get reconnectScheduled() {
    return reconnectTimer !== null;
  },
  events: eventLog,
  dropSocket() {
    if (socket) socket.close();
  },
};

debugPanel?.querySelector('[data-role="drop-socket"]').addEventListener("click", () => window.learnerDashboard.dropSocket());

connect();
