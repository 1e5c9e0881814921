// The live receipt: each line of the order turns ready in place, "Go to
// course" enabled as it does. The connection is live.js's; this file only draws.
import { setLink, startLive } from "./live.js";
import { receiptView } from "./status.js";

const receipt = document.querySelector(".receipt");
const announcer = document.querySelector('[data-role="announcer"]');

function renderOrder(order) {
  if (order.number !== receipt.dataset.number) return;
  const view = receiptView(order);
  const changed = receipt.dataset.status !== view.status;
  receipt.dataset.status = view.status;
  receipt.querySelector('[data-role="order-status"]').textContent = view.text;
  for (const line of view.lines) {
    const row = receipt.querySelector(`.receipt-line[data-course-id="${CSS.escape(line.courseId)}"]`);
    if (!row) continue;
    row.dataset.status = line.status;
    row.querySelector('[data-role="line-badge"]').textContent = line.badge;
    setLink(row.querySelector('[data-role="go-to-course"]'), line.href);
    row.querySelector('[data-role="line-failure"]').hidden = !line.showFailure;
    row.querySelector('[data-role="line-failure-reason"]').textContent = line.failureReason;
  }
  if (changed) announcer.textContent = view.text;
}

window.learnerDashboard = startLive({
  renderers: { order: renderOrder },
  busy: () => receipt.dataset.status === "open",
});
