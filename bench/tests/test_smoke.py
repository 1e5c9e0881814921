"""The benchmark suite at toy sizes, so it cannot rot: every scenario runs and reports."""
import json
import subprocess
import sys

import pytest

from devstack.processes import ROOT

SMOKE_TIMEOUT = 600  # it took 240 s in CI on a slow machine with make test's two passes side by side


@pytest.mark.postgres_pass  # the benchmark's stack has its own database, whatever the suite's
@pytest.mark.timeout(SMOKE_TIMEOUT + 30)  # past the suite's 300 s: the run's own timeout says what hung
def test_every_scenario_runs_and_loses_nothing(tmp_path):
    run = subprocess.run([sys.executable, "-m", "bench", "--smoke", "--out", str(tmp_path)], cwd=ROOT,
                         capture_output=True, text=True, timeout=SMOKE_TIMEOUT)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    results = json.loads((tmp_path / "smoke.json").read_text())

    assert [r["kind"] for r in results["publish"]] == ["ours", "bare"]
    for publish in results["publish"]:
        assert publish["steps"] and all(step["lost"] == 0 for step in publish["steps"])
        assert publish["max_sustained_rate"] > 0
    assert all(r["lost"] == 0 and r["errors"] == 0 and r["count"] == r["orders"] for r in results["checkout"])
    assert results["idle"]["sockets"] == 30 and results["idle"]["reconnect_all_seconds"] > 0
    assert all("longest_gc_pause_ms" in r for r in results["checkout"])
    heap = dict(results["idle"]["heap"]["owners"])
    assert heap["daphne"] > 1000 and heap["ours: realtime"] > 0, heap
    profile = results["compare"]["daphne_profile"]
    assert profile["samples"] > 0 and "error" not in profile, profile
    # A 2 s profile at toy sizes holds a few dozen samples: which cost centres they hit is luck.
    assert "the API view, all of it (DRF)" in dict(profile["cost_centres"]), profile
    modes = {(row["mode"], row["server"]) for row in results["compare"]["rows"]}
    assert modes == {("push", "daphne"), ("poll", "daphne"), ("poll", "gunicorn")}
    assert all(row["errors"] == 0 for row in results["compare"]["rows"])
    push = next(row for row in results["compare"]["rows"] if row["mode"] == "push")
    assert push["update_ms"]["changes"] == 2 and push["update_ms"]["unseen"] == 0, push
    assert all("update_ms" in row for row in results["compare"]["rows"])
    for plot in ("publish", "checkout", "idle", "compare"):
        assert (tmp_path / f"smoke-{plot}.png").stat().st_size > 1000
    summary = (tmp_path / "smoke.md").read_text()
    assert "## 2. Publish to socket" in summary and "Where the memory goes" in summary
    assert "Where Daphne's CPU goes serving polls" in summary
    leak = results["leak"]
    assert len(leak["rounds"]) == 2 and leak["frozen_garbage"]["objects"] >= 0
    assert "What freezing kept" in summary
    pools = [(r["pool"], r["platform_delay_s"]) for r in results["pool"]]
    assert pools == [("prefork", 0.0), ("prefork", 0.2), ("threads", 0.0), ("threads", 0.2)], pools
    assert all(r["step"]["lost"] == 0 and r["step"]["errors"] == 0 for r in results["pool"])
    # The slow platform's call is in every tile's time: the node ran with the delay it was given.
    assert all(r["step"]["to_tile_ms"]["p50"] >= 200 for r in results["pool"] if r["platform_delay_s"])
    assert "The worker's pool against a slow course platform" in summary
