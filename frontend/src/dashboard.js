// The learner dashboard page: the live connection (live.js) with the tile
// renderers (tiles.js), and the staff debug panel kept current.
import { startLive } from "./live.js";
import { itemsOf } from "./status.js";
import { tileRenderers } from "./tiles.js";

const debugPanel = document.querySelector('[data-role="debug-panel"]');

// The staff debug panel (shown with ?debug=1): state, version and last events.
function renderDebug() {
  if (!debugPanel || !live) return;
  const field = (name) => debugPanel.querySelector(`[data-debug="${name}"]`);
  const { state } = live;
  field("connection").textContent = live.connection;
  field("version").textContent = String(state.contiguous);
  field("seen").textContent = state.seen.length ? state.seen.join(", ") : "none";
  field("polling").textContent = live.polling ? "polling" : "off";
  field("events").replaceChildren(
    ...live.events.slice(-10).reverse().map((event) => {
      const item = document.createElement("li");
      item.textContent = `${event.at.slice(11, 23)} ${event.source} → v${event.version}, ${event.changed} changed`;
      return item;
    }),
  );
}

let live = null;
live = startLive({
  renderers: tileRenderers(),
  busy: (state) => itemsOf(state, "enrollment").some((enrollment) => enrollment.status === "pending"),
  onChange: renderDebug,
});
renderDebug();

window.learnerDashboard = live;
debugPanel?.querySelector('[data-role="drop-socket"]').addEventListener("click", () => live.dropSocket());
