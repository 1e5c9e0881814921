"""The dependency audit (devstack/audit.py): what fails it, and that an unreachable database is said, not passed."""
import socket

import pytest

from devstack import audit

REPORT = {  # pip-audit --format json, as pip-audit 2.10 writes it
    "dependencies": [
        {"name": "django", "version": "3.0", "vulns": [
            {"id": "PYSEC-2020-1", "fix_versions": ["2.2.10", "3.0.1"]},
            {"id": "GHSA-xxxx-yyyy-zzzz", "fix_versions": []},
        ]},
        {"name": "channels", "version": "4.3.2", "vulns": []},
        {"name": "private-thing", "skip_reason": "Dependency not found on PyPI and could not be audited"},
    ],
    "fixes": [],
}


def test_each_vulnerability_is_found_with_its_fixed_releases():
    assert audit.findings(REPORT) == [
        audit.Finding("django", "3.0", "PYSEC-2020-1", ("2.2.10", "3.0.1")),
        audit.Finding("django", "3.0", "GHSA-xxxx-yyyy-zzzz", ()),
    ]
    assert audit.skipped(REPORT) == ["private-thing: Dependency not found on PyPI and could not be audited"]


def test_a_fixable_vulnerability_fails_the_audit_and_one_without_a_fix_does_not(monkeypatch, capsys):
    monkeypatch.setattr(audit, "database_answers", lambda: True)
    monkeypatch.setattr(audit, "audit", lambda: REPORT)
    assert audit.main() == 1
    assert "django 3.0: PYSEC-2020-1 (fixed in 2.2.10, 3.0.1)" in capsys.readouterr().out
    unfixable = {"dependencies": [{**REPORT["dependencies"][0], "vulns": [REPORT["dependencies"][0]["vulns"][1]]}]}
    monkeypatch.setattr(audit, "audit", lambda: unfixable)
    assert audit.main() == 0


def test_an_audit_that_checked_nothing_fails(monkeypatch):
    monkeypatch.setattr(audit, "database_answers", lambda: True)
    monkeypatch.setattr(audit, "audit", lambda: {"dependencies": [REPORT["dependencies"][2]]})
    assert audit.main() == 1


def test_an_unreachable_database_is_reported_not_passed_as_clean(monkeypatch, capsys):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}/pypi/django/3.0/json"  # bound, not listening
        assert audit.database_answers(url, timeout=2) is False
    monkeypatch.setattr(audit, "database_answers", lambda: False)
    assert audit.main() == 0
    assert "the dependency audit did not run" in capsys.readouterr().out


@pytest.mark.skipif(not audit.database_answers(), reason="no vulnerability database answers from this machine")
def test_the_locked_dependencies_have_no_vulnerability_with_a_fix():
    report = audit.audit()
    assert not [finding for finding in audit.findings(report) if finding.fixed_in]
