"""The one vocabulary of errors the domain raises: a code and a message a person can act on.

Services raise ``DomainError`` (or a subclass naming its area); they know
nothing of HTTP or WebSockets. The JSON API picks the HTTP status from the
code (``config.api_errors.STATUS``); the pages show the message.
"""


class DomainError(Exception):
    """``code``: stable, for programs; ``message``: for people; ``fields``: which inputs were wrong."""

    def __init__(self, code: str, message: str, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = fields or {}
