// The learner dashboard: renders enrollment tiles, and the certificates of
// their courses, as live items arrive. The connection is live.js's; the rules are
// status.js's; this file only draws.
import { setLink, startLive } from "./live.js";
import { certificateView, itemsOf, tileView } from "./status.js";

const tilesRoot = document.getElementById("tiles");
const announcer = document.querySelector('[data-role="announcer"]');
const emptyNote = document.querySelector('[data-role="empty"]');
const tileTemplate = document.querySelector('template[data-role="tile-template"]');
const debugPanel = document.querySelector('[data-role="debug-panel"]');

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
  tile.querySelectorAll('input[name="course_id"]').forEach((input) => (input.value = enrollment.course_id));
  tile.querySelector('input[name="mode"]').value = enrollment.mode;
  tilesRoot.prepend(tile);
  emptyNote.hidden = true;
  return tile;
}

function renderEnrollment(enrollment) {
  const tile = findTile(enrollment.course_id) || newTile(enrollment);
  const view = tileView(enrollment);
  const previous = tile.dataset.status;
  tile.dataset.status = view.status;
  tile.dataset.version = String(enrollment.version);
  tile.querySelector('[data-role="status-badge"]').textContent = view.badge;
  setLink(tile.querySelector('[data-role="course-link"]'), view.href);
  tile.querySelector('[data-role="indicator"]').hidden = !view.showIndicator;
  tile.querySelector('[data-role="failure"]').hidden = !view.showFailure;
  tile.querySelector('[data-role="failure-reason"]').textContent = view.failureReason;
  tile.querySelector('[data-role="inactive-note"]').hidden = !view.showInactive;
  tile.querySelector('[data-role="certificate"]').hidden = !view.showCertificate;
  if (previous !== view.status) announcer.textContent = view.announcement;
}

function renderCertificate(certificate) {
  const tile = findTile(certificate.course_id);
  if (!tile) return;
  const view = certificateView(certificate);
  const previous = tile.dataset.certificate;
  tile.dataset.certificate = certificate.status;
  const status = tile.querySelector('[data-role="certificate-status"]');
  status.hidden = view.text === null;
  status.textContent = view.text ?? "";
  const download = tile.querySelector('[data-role="certificate-download"]');
  download.hidden = view.href === null;
  setLink(download, view.href);
  tile.querySelector('[data-role="certificate-request"]').hidden = !view.canRequest;
  if (view.requestLabel) tile.querySelector('[data-role="request-certificate"]').textContent = view.requestLabel;
  if (previous !== certificate.status && view.text) announcer.textContent = `${certificate.course_title}: ${view.text}`;
}

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
  renderers: { enrollment: renderEnrollment, certificate: renderCertificate },
  busy: (state) => itemsOf(state, "enrollment").some((enrollment) => enrollment.status === "pending"),
  onChange: renderDebug,
});
renderDebug();

window.learnerDashboard = live;
debugPanel?.querySelector('[data-role="drop-socket"]').addEventListener("click", () => live.dropSocket());
