// The live connection every live page shares: a WebSocket (/ws/dashboard/, or
// the support console's /ws/support/learners/<id>/)
// (protocol 2, it reads protocol 1 too), reconnects, a watchdog, an HTTP
// polling fallback and the reload after a deploy. A page hands it one
// renderer per kind of item it shows; the rules live in status.js.
import {
  applyCatchup,
  applyMessage,
  backoffDelay,
  closeAction,
  initialState,
  pollingState,
  reloadAction,
  RELOAD_NOTICE_MS,
  gettext,
} from "./status.js";

const POLL_BASE_MS = 2000;
const POLL_CAP_MS = 30000;
const EVENT_LOG_SIZE = 50;
const RELOADED_FOR = "learnwell.reloadedForBuild"; // sessionStorage: one reload per new build
const PROTOCOL = 2;

/**
 * Start keeping the page live.
 *
 * `renderers`: kind -> function(item) that shows one item of that kind (called
 * for every item the page starts with and for every one that changes).
 * `busy(state)`: true while the page should not reload for a new build.
 * `onChange()`: after every change of state or connection (a debug panel).
 * The page's `[data-role="connection"]` badge shows the connection.
 */
export function startLive({ renderers, busy = () => false, onChange = () => {} }) {
  const connectionBadge = document.querySelector('[data-role="connection"]');
  const start = JSON.parse(document.getElementById("live-state").textContent);
  const heartbeatMs = start.heartbeat_seconds * 1000;
  const pageBuild = start.build;
  let state = initialState(start.version, start.items);
  let socket = null;
  let connection = "connecting";
  let reconnectAttempt = 0;
  let reconnectTimer = null;
  let watchdogTimer = null;
  let pollTimer = null;
  let pollFailures = 0;
  let pollState = null; // what the last poll said while the socket is down (status.js, pollingState)
  let retryAfterMs = null; // named by the server's error before a 4001 (drain)
  let serverBuild = null; // the frontend build the server named in its last catch-up
  let reloadDeadline = null;
  const eventLog = [];

  function render(entries) {
    for (const entry of entries) renderers[entry.kind]?.(entry.item);
  }

  function setConnection(name, label) {
    connection = name;
    if (connectionBadge) {
      connectionBadge.dataset.state = name;
      connectionBadge.textContent = label;
    }
    onChange();
  }

  function commit(result, source) {
    state = result.state;
    render(result.changed);
    eventLog.push({ at: new Date().toISOString(), source, version: state.contiguous, changed: result.changed.length });
    if (eventLog.length > EVENT_LOG_SIZE) eventLog.shift();
    onChange();
    reloadIfOutdated();
  }

  // A deploy replaced the frontend: reload at a calm moment, or after a notice
  // if the page stays busy that long.
  function reloadIfOutdated() {
    const action = reloadAction(pageBuild, serverBuild, busy(state), sessionStorage.getItem(RELOADED_FOR));
    if (action === "reload") {
      reloadForNewBuild();
    } else if (action === "notice" && reloadDeadline === null) {
      document.querySelector('[data-role="update-notice"]')?.removeAttribute("hidden");
      reloadDeadline = setTimeout(reloadForNewBuild, RELOAD_NOTICE_MS);
    }
  }

  function reloadForNewBuild() {
    sessionStorage.setItem(RELOADED_FOR, serverBuild);
    location.reload();
  }

  function sendHello() {
    socket.send(JSON.stringify({ type: "hello", since: state.contiguous, protocol: PROTOCOL, build: pageBuild }));
  }

  function onMessage(message) {
    resetWatchdog();
    if (message.type === "catchup") serverBuild = message.build ?? serverBuild;
    if (message.type === "error") {
      console.warn("live socket error:", message.code, message.message);
      if (message.retry_after_ms !== undefined) retryAfterMs = message.retry_after_ms;
      return;
    }
    const result = applyMessage(state, message);
    if (result.resync) sendHello();
    else if (message.type !== "heartbeat" && message.type !== "pong") commit(result, message.type === "catchup" ? "catchup" : "push");
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
    const ws = new WebSocket(`${scheme}//${location.host}${start.socket_path}`);
    socket = ws;
    // While polling, the badge keeps saying what the polls say; a reconnect attempt does not hide it.
    if (pollState === null) setConnection("connecting", reconnectAttempt ? gettext("Reconnecting…") : gettext("Connecting…"));
    ws.addEventListener("open", () => {
      reconnectAttempt = 0;
      stopPolling();
      setConnection("live", gettext("Live"));
      resetWatchdog();
      sendHello();
    });
    ws.addEventListener("message", (event) => {
      try {
        onMessage(JSON.parse(event.data));
      } catch (error) {
        console.warn("live: unreadable message", error);
      }
    });
    ws.addEventListener("close", (event) => {
      if (socket !== ws) return;
      socket = null;
      clearTimeout(watchdogTimer);
      const action = closeAction(event.code, reconnectAttempt++, { retryAfterMs });
      retryAfterMs = null;
      if (!action.poll || pollState === null) setConnection(action.state, action.label);
      else setConnection(pollState.state, pollState.label);
      if (action.poll) startPolling();
      if (action.reconnectMs !== null) reconnectTimer = setTimeout(connect, action.reconnectMs);
    });
  }

  async function pollOnce() {
    try {
      const response = await fetch(`${start.poll_path}?since=${state.contiguous}`, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const body = await response.json();
      commit(applyCatchup(state, body.version, body.items), "poll");
      pollFailures = 0;
    } catch (error) {
      pollFailures += 1;
    }
    if (pollTimer === null) return; // the socket came back meanwhile
    pollState = pollingState(pollFailures === 0);
    setConnection(pollState.state, pollState.label);
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
    pollState = null;
  }

  render(Object.values(state.items));
  connect();

  // For QA, the debug panel and browser tests: read the state, drop the socket on purpose.
  return {
    get state() {
      return state;
    },
    get connection() {
      return connection;
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
}

/** Point `link` at `href`, or disable it (no href, aria-disabled) when `href` is null. */
export function setLink(link, href) {
  if (href) {
    link.setAttribute("href", href);
    link.removeAttribute("aria-disabled");
  } else {
    link.removeAttribute("href");
    link.setAttribute("aria-disabled", "true");
  }
}
