// The support console's learner page: the learner's tiles as they see them
// (pushed over a staff socket, like their own page), and their sockets,
// orders and change log, refreshed every two seconds from the console's API.
import { startLive } from "./live.js";
import { tileRenderers } from "./tiles.js";

const root = document.querySelector(".support");
const learnerId = root.dataset.learnerId;
const csrf = document.querySelector('input[name="csrfmiddlewaretoken"]').value;
const REFRESH_MS = 2000;

function row(cells) {
  const tr = document.createElement("tr");
  for (const content of cells) {
    const td = document.createElement("td");
    if (content instanceof Node) td.append(content);
    else td.textContent = String(content);
    tr.append(td);
  }
  return tr;
}

function fill(role, rows) {
  root.querySelector(`[data-role="${role}"] tbody`).replaceChildren(...rows);
}

// A confirmed POST to one of the console's actions.
function actionForm(action, target, label, question) {
  const form = document.createElement("form");
  form.method = "post";
  form.action = `/support/learners/${learnerId}/actions/${action}/`;
  form.dataset.confirm = question;
  for (const [name, value] of [["csrfmiddlewaretoken", csrf], ["target", target]]) {
    const input = Object.assign(document.createElement("input"), { type: "hidden", name, value });
    form.append(input);
  }
  const button = Object.assign(document.createElement("button"), { type: "submit", className: "button", textContent: label });
  button.dataset.role = `action-${action.replace("_", "-")}`;
  form.append(button);
  return form;
}

function renderView(view) {
  root.querySelector('[data-role="learner-version"]').textContent = String(view.version);
  root.querySelector('[data-role="polling"]').textContent = view.polling ? "yes" : "no";
  fill("sockets", view.sockets.map((s) => {
    const tr = row([s.node, `${s.connected_seconds} s`, `${s.beat_seconds_ago} s ago`, s.version, s.lag, s.build || "—",
      actionForm("close_socket", s.channel, "Close", `Close this socket on ${s.node}? The page reconnects at once.`)]);
    tr.dataset.node = s.node;
    tr.dataset.lag = String(s.lag);
    return tr;
  }));
  fill("orders", view.orders.map((o) => {
    const lines = o.lines.map((l) => `${l.course_id}: ${l.status} (${l.attempts})${l.failure_reason ? ` ${l.failure_reason}` : ""}`).join("\n");
    const retry = o.status === "fulfillment_error"
      ? actionForm("retry_order", o.number, "Retry", `Retry the failed lines of ${o.number}?`) : "";
    const tr = row([o.number, o.status, lines, retry]);
    tr.dataset.order = o.number;
    tr.dataset.status = o.status;
    return tr;
  }));
  fill("history", view.history.map((c) => row([c.version, c.at.slice(11, 19), `${c.kind} ${c.key}`, c.status, c.actor, c.detail])));
}

function renderItems(state) {
  const entries = Object.values(state.items).sort((a, b) => b.item.version - a.item.version);
  fill("items", entries.map((e) => row([e.kind, e.key, e.item.status ?? "", e.item.version])));
}

async function refresh() {
  try {
    const response = await fetch(`/api/v1/support/learners/${learnerId}/`, { headers: { Accept: "application/json" } });
    if (response.ok) renderView(await response.json());
  } finally {
    setTimeout(refresh, REFRESH_MS);
  }
}

root.addEventListener("submit", (event) => {
  const question = event.target.dataset.confirm;
  if (question && !window.confirm(question)) event.preventDefault();
});

let live = null; // set once startLive returns; its first changes come before
live = startLive({ renderers: tileRenderers(), onChange: () => live && renderItems(live.state) });
window.learnerDashboard = live;
renderItems(live.state);
renderView(JSON.parse(document.getElementById("support-state").textContent));
setTimeout(refresh, REFRESH_MS);
