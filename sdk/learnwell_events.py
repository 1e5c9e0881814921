"""Report enrollment changes to the learner dashboard from any Python service.

Standard library only; ``pip install ./sdk`` from the project folder (README.md
beside this file). A report changes the learner's enrollment through the
dashboard's state machine, which publishes it to every open dashboard of that
learner. Retries reuse the idempotency key, so a report is applied once.

    from learnwell_events import EventsClient

    client = EventsClient("https://learn.example.com", token="<EVENTS_SERVICE_TOKENS entry>")
    client.report("ada", "course-v1:Org+CS101+2026", "active", idempotency_key="fulfil-LP-1234")

Use ``signing_key=`` instead of ``token=`` to sign each body with HMAC-SHA256.
"""
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from typing import Any


class EventError(Exception):
    """The dashboard refused the report (a 4xx other than 429): retrying will not help.

    ``fields`` names the inputs that were wrong, as the dashboard said (``{"status": ["..."]}``).
    """

    def __init__(self, status: int, code: str, message: str, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(f"{status} {code}: {message}" + (f" {fields}" if fields else ""))
        self.status, self.code, self.message, self.fields = status, code, message, fields or {}


RETRY_AFTER_CAP = 60.0  # seconds: a longer wait named by the server is cut to this


class EventsClient:
    def __init__(self, base_url: str, token: str | None = None, signing_key: str | None = None,
                 timeout: float = 5.0, attempts: int = 4) -> None:
        if not (token or signing_key):
            raise ValueError("give a token or a signing_key")
        self.url = base_url.rstrip("/") + "/api/v1/events/"
        self.token, self.signing_key = token, signing_key
        self.timeout, self.attempts = timeout, attempts

    def report(self, learner: str, course_id: str, status: str, idempotency_key: str,
               reason: str = "") -> dict[str, Any]:
        """Report one change; returns the enrollment as the dashboard now shows it.

        Network errors, 5xx and 429 answers are retried under the same key, after the
        server's ``Retry-After`` when it names one, else with exponential backoff.
        """
        body = json.dumps({"learner": learner, "course_id": course_id, "status": status, "reason": reason}).encode()
        headers = {"Content-Type": "application/json", "Idempotency-Key": idempotency_key}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        elif self.signing_key:
            headers["X-Signature"] = "sha256=" + hmac.new(self.signing_key.encode(), body, hashlib.sha256).hexdigest()
        for attempt in range(self.attempts):
            try:
                request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    return json.loads(response.read())
            except urllib.error.HTTPError as error:
                if error.code < 500 and error.code != 429:
                    detail = json.loads(error.read() or b"{}").get("error", {})
                    raise EventError(error.code, detail.get("code", "error"), detail.get("message", ""),
                                     detail.get("fields")) from error
                if attempt + 1 == self.attempts:
                    raise
                wait = _retry_after(error.headers.get("Retry-After"))
                time.sleep(wait if wait is not None else 0.5 * 2**attempt)
                continue
            except (urllib.error.URLError, TimeoutError, ConnectionError):
                if attempt + 1 == self.attempts:
                    raise
            time.sleep(0.5 * 2**attempt)
        raise AssertionError("unreachable")


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (a number of seconds), at most RETRY_AFTER_CAP; None when absent."""
    try:
        return min(RETRY_AFTER_CAP, max(0.0, float(value))) if value else None
    except ValueError:
        return None
