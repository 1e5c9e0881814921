"""The Grafana dashboard and the alert rules name only metrics /metrics serves, all under one prefix."""
import json
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DASHBOARD = ROOT / "deploy" / "grafana" / "dashboards" / "learnwell.json"
ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yml"
METRIC = re.compile(r"\b(learnwell_[a-z_]+?)(?:_bucket|_count|_sum)?\b")

pytestmark = pytest.mark.django_db


def served_metric_families(client) -> set[str]:
    body = client.get("/metrics").content.decode()
    return {line.split()[2] for line in body.splitlines() if line.startswith("# TYPE ")}


def named_in(text: str) -> set[str]:
    return set(METRIC.findall(text))


def test_every_metric_the_dashboard_and_the_alerts_name_is_served(client):
    dashboard = json.loads(DASHBOARD.read_text())
    expressions = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    alerts = yaml.safe_load(ALERTS.read_text())
    rules = [rule for group in alerts["groups"] for rule in group["rules"]]
    named = named_in("\n".join(expressions)) | named_in("\n".join(rule["expr"] for rule in rules))
    assert len(named) >= 12
    served = served_metric_families(client)
    # A counter's family is served without its _total suffix in "# TYPE" lines.
    missing = {name for name in named if name not in served and name.removesuffix("_total") not in served}
    assert not missing, f"named but not in /metrics: {sorted(missing)}"


def test_the_alert_rules_are_complete():
    rules = [rule for group in yaml.safe_load(ALERTS.read_text())["groups"] for rule in group["rules"]]
    assert {rule["alert"] for rule in rules} >= {"OrdersStalled", "PublishFailures", "NotReady", "SocketNodeEmpty"}
    for rule in rules:
        assert rule["expr"].strip() and rule["for"] and rule["annotations"]["summary"], rule["alert"]
        assert rule["labels"]["severity"] in {"page", "ticket"}


def test_application_metrics_follow_one_prefix_and_the_naming_rules(client):
    body = client.get("/metrics").content.decode()
    ours = [line.split() for line in body.splitlines() if line.startswith("# TYPE ")]
    app = [(name, kind) for _, _, name, kind in ours if not name.startswith(("python_", "process_"))]
    assert app and all(name.startswith("learnwell_") for name, _ in app), app
    for name, kind in app:
        if kind == "histogram":
            assert name.endswith(("_seconds", "_items")), name
        assert not name.endswith("_total") or kind == "counter", name


def test_compose_provisions_prometheus_and_grafana_with_these_files():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    mounts = " ".join(compose["services"]["prometheus"]["volumes"] + compose["services"]["grafana"]["volumes"])
    for path in ("deploy/prometheus/prometheus.yml", "deploy/prometheus/alerts.yml", "deploy/grafana/provisioning",
                 "deploy/grafana/dashboards"):
        assert path in mounts and (ROOT / path).exists(), path
    assert compose["x-app"]["environment"]["LOG_FORMAT"] == "json"
