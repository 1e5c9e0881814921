"""docs/openapi.yaml is what drf-spectacular generates from the code, so it cannot drift."""
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command

SCHEMA = Path(__file__).resolve().parent.parent / "docs" / "openapi.yaml"


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
