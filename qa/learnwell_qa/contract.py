"""The AsyncAPI document of the dashboard protocol, as a checker of messages."""
import urllib.request
from pathlib import Path
from typing import Any

import jsonschema
import yaml

# Server message type -> the schema describing it in components.schemas.
SERVER_SCHEMAS = {
    "catchup": "Catchup",
    "item.updated": "ItemUpdated",
    "enrollment.updated": "EnrollmentUpdated",
    "heartbeat": "Heartbeat",
    "pong": "Pong",
    "error": "Error",
}


class Contract:
    """What a server promises its dashboard clients (``docs/asyncapi.yaml``)."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document

    @classmethod
    def from_path(cls, path: str | Path) -> "Contract":
        return cls(yaml.safe_load(Path(path).read_text()))

    @classmethod
    def from_server(cls, base_url: str, timeout: float = 10) -> "Contract":
        """The document the server itself publishes at ``/api/asyncapi.yaml``."""
        with urllib.request.urlopen(base_url.rstrip("/") + "/api/asyncapi.yaml", timeout=timeout) as response:
            return cls(yaml.safe_load(response.read()))

    def validate_server_message(self, message: dict[str, Any]) -> None:
        """Raise jsonschema.ValidationError unless ``message`` is one the document allows."""
        name = SERVER_SCHEMAS.get(message.get("type", ""))
        if name is None:
            raise jsonschema.ValidationError(f"message type {message.get('type')!r} is not in the AsyncAPI document")
        components = self.document["components"]
        schema = {**components["schemas"][name], "components": components}
        jsonschema.validate(message, schema, cls=jsonschema.Draft202012Validator)

    def close_codes(self) -> dict[int, dict[str, str]]:
        """The close codes the document lists for the dashboard channel, by code."""
        return {int(code): entry for code, entry in self.document["channels"]["dashboard"]["x-close-codes"].items()}
