"""A web worker and a Celery worker freeze what start-up loaded (realtime.collector.freeze_start_up).

Unfrozen, every full collection walked the whole of Django and the project again: 84-120 ms
of a stopped process in a loaded node, the p99 of the 1,000-dashboard ladder at 35-40 orders
a second (bench/notes.md, finding 47).
"""
import os
import subprocess
import sys

import pytest

from devstack.processes import ROOT

pytestmark = pytest.mark.any_database

# What a full collection still walks, against what start-up froze.
REPORT = "import gc; print(gc.get_freeze_count(), len(gc.get_objects()))"


def run(code: str) -> tuple[int, int]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("DJANGO_")}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**env, "DJANGO_DEBUG": "1"},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    frozen, walked = map(int, done.stdout.split())
    return frozen, walked


def test_a_web_worker_freezes_what_it_loaded_before_its_first_request():
    frozen, walked = run(f"import config.wsgi; {REPORT}")
    assert frozen > 50_000 and walked < frozen / 20, (frozen, walked)


@pytest.mark.parametrize("signal", ["worker_ready", "worker_process_init"])
def test_a_celery_worker_freezes_what_it_loaded_once_ready(signal):
    """``worker_ready`` in the worker (its threads pool), ``worker_process_init`` in a prefork pool's processes."""
    frozen_before, _ = run(f"import config.celery, django; django.setup(); {REPORT}")
    assert frozen_before == 0
    frozen, walked = run(f"import config.celery, django; django.setup(); from celery import signals; "
                         f"signals.{signal}.send(sender=None); {REPORT}")
    assert frozen > 50_000 and walked < frozen / 20, (frozen, walked)
