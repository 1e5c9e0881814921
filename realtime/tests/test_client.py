"""The Python client applies versions by the same rules as the browser: one table of cases for both."""
import json
from pathlib import Path

import pytest

from realtime.client import DashboardClient

CASES = json.loads((Path(__file__).resolve().parents[2] / "frontend" / "tests" / "version-cases.json").read_text())


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_version_rules_shared_with_the_browser(case):
    client = DashboardClient("http://127.0.0.1:8000", "", since=case["start"]["version"])
    client.items = {("enrollment", tile["course_id"]): tile for tile in case["start"]["tiles"]}
    for step in case["steps"]:
        asks_resync = client.apply(step["message"])
        if step["message"]["type"] == "heartbeat":
            assert asks_resync == step["resync"]
    assert client.contiguous == case["expect"]["contiguous"]
    assert {key: list(shown) for key, shown in client.statuses().items()} == case["expect"]["statuses"]
