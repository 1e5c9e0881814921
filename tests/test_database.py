"""How processes talk to the database: PostgreSQL connections prepare the statements they repeat."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from commerce.models import Order

ROOT = Path(__file__).resolve().parent.parent


def prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [statement for (statement,) in cursor.fetchall()]


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")
def test_a_connection_prepares_a_statement_after_running_it_five_times():
    # A query no other code runs (XTS: the currency code kept for tests), so the connection,
    # which earlier tests used too, has not counted it yet.
    def read() -> None:
        Order.objects.filter(number="LP-NOT-THERE", currency="XTS").first()

    for _ in range(5):
        read()
    assert not any('"commerce_order"."currency" = $' in s for s in prepared_statements())
    read()
    assert any('"commerce_order"."currency" = $' in s for s in prepared_statements())


def postgres_options(**env: str) -> dict:
    """The database OPTIONS the settings give a PostgreSQL URL (no server needed to read them)."""
    code = ("import json, django; django.setup(); from django.conf import settings; "
            "print(json.dumps(settings.DATABASES['default']['OPTIONS']))")
    given = {k: v for k, v in os.environ.items() if k != "DATABASE_PREPARE_THRESHOLD"}
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60, env={
        **given, "DJANGO_SETTINGS_MODULE": "config.settings", "DJANGO_DEBUG": "1",
        "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none", **env})
    assert run.returncode == 0, run.stderr[-800:]
    return json.loads(run.stdout)


@pytest.mark.any_database
def test_preparing_is_on_by_default_and_zero_turns_it_off():
    assert postgres_options() == {"server_side_binding": True, "prepare_threshold": 5}
    assert postgres_options(DATABASE_PREPARE_THRESHOLD="0")["prepare_threshold"] is None
