"""Validating messages against docs/asyncapi.yaml, the protocol's description."""
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

DOCUMENT = Path(__file__).resolve().parent.parent / "docs" / "asyncapi.yaml"

SERVER_SCHEMAS = {
    "catchup": "Catchup",
    "item.updated": "ItemUpdated",
    "enrollment.updated": "EnrollmentUpdated",
    "heartbeat": "Heartbeat",
    "pong": "Pong",
    "error": "Error",
}


@cache
def _document() -> dict[str, Any]:
    return yaml.safe_load(DOCUMENT.read_text())


def validate_server_message(message: dict[str, Any]) -> None:
    """Raise jsonschema.ValidationError unless ``message`` is one the document allows."""
    name = SERVER_SCHEMAS.get(message.get("type"))
    if name is None:
        raise jsonschema.ValidationError(f"message type {message.get('type')!r} is not in the AsyncAPI document")
    document = _document()
    schema = {**document["components"]["schemas"][name], "components": document["components"]}
    jsonschema.validate(message, schema, cls=jsonschema.Draft202012Validator)


def close_codes() -> dict[int, dict[str, str]]:
    """The close codes the document lists for the dashboard channel, by code."""
    return {int(code): entry for code, entry in _document()["channels"]["dashboard"]["x-close-codes"].items()}
