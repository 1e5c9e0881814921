// Drawing enrollment tiles and their certificates, for any page that shows
// tiles (the dashboard, and the support console's view as the learner).
import { setLink } from "./live.js";
import { certificateView, tileView } from "./status.js";

/** Renderers of the `enrollment` and `certificate` kinds into the `#tiles` element of the page. */
export function tileRenderers() {
  const tilesRoot = document.getElementById("tiles");
  const announcer = document.querySelector('[data-role="announcer"]');
  const emptyNote = document.querySelector('[data-role="empty"]');
  const tileTemplate = document.querySelector('template[data-role="tile-template"]');

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

  return { enrollment: renderEnrollment, certificate: renderCertificate };
}
