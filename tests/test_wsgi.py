"""config.wsgi: what a gunicorn worker loads before it accepts a request."""
import os
import subprocess
import sys

import pytest

from devstack.processes import ROOT

pytestmark = pytest.mark.any_database


def test_a_web_worker_imports_the_urlconf_before_its_first_request():
    """Django would import it on the first request, and a worker that first gets requests in a burst
    would spend half a second of it importing views (#11, bench/notes.md finding 35)."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("DJANGO_")}
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, config.wsgi; print(sorted({'config.urls', 'commerce.api'} - set(sys.modules)))"],
        cwd=ROOT, env={**env, "DJANGO_DEBUG": "1"}, capture_output=True, text=True, timeout=120,
    )
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip() == "[]"
