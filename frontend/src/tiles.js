// Drawing enrollment tiles and their certificates, for any page that shows
// tiles (the dashboard, and the support console's view as the learner).
import { setLink } from "./live.js";
import { certificateView, gettext, summarize, tileView } from "./status.js";

const ANNOUNCE_AFTER_MS = 400; // changes arriving within this are announced as one

/** A polite live region that reads a burst of changes as one summary. */
function announcerFor(region) {
  const waiting = [];
  let timer = null;
  return (message) => {
    if (!region || !message) return;
    waiting.push(message);
    clearTimeout(timer);
    timer = setTimeout(() => {
      region.textContent = summarize(waiting.splice(0));
    }, ANNOUNCE_AFTER_MS);
  };
}

/** Renderers of the `enrollment` and `certificate` kinds into the `#tiles` element of the page. */
export function tileRenderers() {
  const tilesRoot = document.getElementById("tiles");
  const announce = announcerFor(document.querySelector('[data-role="announcer"]'));
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
    delete tile.dataset.status; // a new tile is announced whatever its first status
    tile.querySelector(".mode").textContent = enrollment.mode;
    tile.querySelector('[data-role="course-link"]').textContent = enrollment.course_title;
    tile.querySelectorAll('input[name="course_id"]').forEach((input) => (input.value = enrollment.course_id));
    tile.querySelector('input[name="mode"]').value = enrollment.mode;
    const title = enrollment.course_title;
    tile.querySelector('[data-role="retry"]').setAttribute("aria-label", gettext("Try again: %(title)s", { title }));
    tile.querySelector('[data-role="request-certificate"]')
      .setAttribute("aria-label", gettext("Get your certificate for %(title)s", { title }));
    tile.querySelector('[data-role="open-course"]').setAttribute("aria-label", gettext("Open course: %(title)s", { title }));
    tile.querySelector('[data-role="certificate-download"]')
      .setAttribute("aria-label", gettext("Download certificate: %(title)s", { title }));
    tilesRoot.prepend(tile);
    emptyNote.hidden = true;
    return tile;
  }

  // The catalog beside the tiles: a course held is "on your dashboard"; a refunded one is for sale again.
  function markCatalog(enrollment) {
    const entry = document.querySelector(`.catalog-item[data-course-id="${CSS.escape(enrollment.course_id)}"]`);
    if (!entry) return;
    const held = enrollment.status !== "inactive";
    entry.querySelector('[data-role="catalog-held"]').hidden = !held;
    entry.querySelector('[data-role="seat-buttons"]').hidden = held;
  }

  function renderEnrollment(enrollment) {
    const tile = findTile(enrollment.course_id) || newTile(enrollment);
    const view = tileView(enrollment);
    const previous = tile.dataset.status;
    tile.dataset.status = view.status;
    tile.dataset.version = String(enrollment.version);
    tile.querySelector('[data-role="status-badge"]').textContent = view.badge;
    setLink(tile.querySelector('[data-role="course-link"]'), view.href);
    const open = tile.querySelector('[data-role="open-course"]');
    setLink(open, view.href);
    open.hidden = view.href === null;
    tile.querySelector('[data-role="indicator"]').hidden = !view.showIndicator;
    tile.querySelector('[data-role="failure"]').hidden = !view.showFailure;
    tile.querySelector('[data-role="failure-reason"]').textContent = view.failureReason;
    tile.querySelector('[data-role="paid-note"]').hidden = !view.showPaidNote;
    const inactive = tile.querySelector('[data-role="inactive-note"]');
    inactive.hidden = !view.showInactive;
    inactive.textContent = view.inactiveNote;
    tile.querySelector('[data-role="certificate"]').hidden = !view.showCertificate;
    markCatalog(enrollment);
    if (previous !== view.status) announce(view.announcement);
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
    if (previous !== certificate.status && view.text) {
      announce(gettext("%(title)s: %(status)s", { title: certificate.course_title, status: view.text }));
    }
  }

  return { enrollment: renderEnrollment, certificate: renderCertificate };
}
