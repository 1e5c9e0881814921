"""Report enrollment changes to the learner dashboard from any Python service.

Standard library only; copy this file into the other codebase or install it
from this repository. A report changes the learner's enrollment through the
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
    """The dashboard refused the report (a 4xx): retrying will not help."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message


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

        Network errors and 5xx answers are retried with backoff under the same key.
        """
        body = json.dumps({"learner": learner, "course_id": course_id, "status": status, "reason": reason}).encode()
        headers = {"Content-Type": "application/json", "Idempotency-Key": idempotency_key}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        else:
            headers["X-Signature"] = "sha256=" + hmac.new(self.signing_key.encode(), body, hashlib.sha256).hexdigest()
        for attempt in range(self.attempts):
            try:
                request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    return json.loads(response.read())
            except urllib.error.HTTPError as error:
                if error.code < 500:
                    detail = json.loads(error.read() or b"{}").get("error", {})
                    raise EventError(error.code, detail.get("code", "error"), detail.get("message", "")) from error
                if attempt + 1 == self.attempts:
                    raise
            except (urllib.error.URLError, TimeoutError, ConnectionError):
                if attempt + 1 == self.attempts:
                    raise
            time.sleep(0.5 * 2**attempt)
        raise AssertionError("unreachable")
