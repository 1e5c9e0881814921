"""The API's two documents: docs/openapi.yaml (HTTP) is what drf-spectacular generates from the
code, so it cannot drift; both pass their official validators and say what a client must know."""
import subprocess
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from openapi_spec_validator import validate

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "docs" / "openapi.yaml"
ASYNCAPI = ROOT / "docs" / "asyncapi.yaml"


@pytest.mark.django_db
def test_committed_schema_matches_the_code(tmp_path):
    generated = tmp_path / "openapi.yaml"
    call_command("spectacular", "--file", str(generated), "--validate")
    assert yaml.safe_load(generated.read_text()) == yaml.safe_load(SCHEMA.read_text()), (
        "The API changed: regenerate with `DJANGO_DEBUG=1 python manage.py spectacular --file docs/openapi.yaml`"
    )


def test_schema_is_served(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/enrollments/" in response.content


def test_the_openapi_document_is_valid_openapi():
    validate(yaml.safe_load(SCHEMA.read_text()))


def operations():
    for path, methods in yaml.safe_load(SCHEMA.read_text())["paths"].items():
        for method, operation in methods.items():
            yield f"{method.upper()} {path}", operation


def test_every_error_response_is_the_one_error_envelope_with_an_example():
    checked = 0
    for name, operation in operations():
        for status, response in operation["responses"].items():
            if int(status) < 400:
                continue
            body = response["content"]["application/json"]
            assert body["schema"] == {"$ref": "#/components/schemas/Error"}, f"{name} {status}"
            assert body.get("examples"), f"{name} {status} has no example"
            checked += 1
    assert checked > 20


def test_every_success_response_has_a_body_schema():
    for name, operation in operations():
        for status, response in operation["responses"].items():
            if int(status) < 400:
                assert "content" in response, f"{name} {status} says no response body"


def test_the_events_endpoint_documents_its_credentials_and_idempotency_key():
    document = yaml.safe_load(SCHEMA.read_text())
    events = document["paths"]["/api/v1/events/"]["post"]
    assert events["security"] == [{"serviceToken": []}, {"eventSignature": []}]
    key = next(p for p in events["parameters"] if p["name"] == "Idempotency-Key")
    assert key["in"] == "header" and key["required"] is True
    schemes = document["components"]["securitySchemes"]
    assert schemes["serviceToken"]["scheme"] == "bearer"
    assert schemes["eventSignature"]["name"] == "X-Signature"
    assert document["paths"]["/api/v1/payments/notify/"]["post"]["security"] == [{"paymentSignature": []}]
    assert {"cookieAuth": []} in document["paths"]["/api/v1/orders/"]["post"]["security"]


@pytest.mark.any_database
def test_the_asyncapi_document_passes_the_official_parser():
    run = subprocess.run(["node", "frontend/tools/validate-asyncapi.mjs", str(ASYNCAPI)], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "valid AsyncAPI" in run.stdout


def test_the_asyncapi_document_names_the_subprotocols_and_how_to_authenticate():
    document = yaml.safe_load(ASYNCAPI.read_text())
    headers = document["channels"]["dashboard"]["bindings"]["ws"]["headers"]["properties"]
    assert "learnwell.v1, token.<token>" in headers["Sec-WebSocket-Protocol"]["description"]
    assert set(document["components"]["securitySchemes"]) == {"session", "connectionToken"}


def test_the_asyncapi_document_is_served_for_clients(client):
    response = client.get("/api/asyncapi.yaml")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/yaml")
    assert yaml.safe_load(b"".join(response.streaming_content)) == yaml.safe_load(ASYNCAPI.read_text())


def test_the_interactive_api_page_and_its_script_are_served(client):
    page = client.get("/api/docs/")
    assert page.status_code == 200 and b"swagger-ui" in page.content
    assert b"<style>" not in page.content and b"<script>" not in page.content  # the policy allows neither
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and b"/api/schema/" in script.content
