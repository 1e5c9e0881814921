"""``python -m devstack.audit``: known vulnerabilities in the locked dependencies (make test runs it).

Every package uv.lock installs (runtime, test, bench and tools groups) is checked
with pip-audit against PyPI's vulnerability data. The run fails on a
vulnerability that has a fixed release (upgrade the pin and `uv lock`); one
without a fix is listed but does not fail it, since nothing can be done yet.

Where no vulnerability database answers (a machine without that part of the
network), it says so and checks nothing rather than reporting a clean audit.
"""
import json
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TOOLS = Path(sys.executable).parent
# A release with published vulnerabilities: the database answers when it lists them.
PROBE = "https://pypi.org/pypi/django/3.0/json"


@dataclass(frozen=True)
class Finding:
    package: str
    version: str
    vulnerability: str
    fixed_in: tuple[str, ...]


def database_answers(url: str = PROBE, timeout: float = 10) -> bool:
    """True when the vulnerability data pip-audit uses can be read (PyPI's JSON API with its ``vulnerabilities``)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return bool(json.loads(response.read()).get("vulnerabilities"))
    except (OSError, urllib.error.URLError, ValueError):
        return False


def findings(report: dict[str, Any]) -> list[Finding]:
    """Every vulnerability in a ``pip-audit --format json`` report."""
    return [
        Finding(dependency["name"], dependency["version"], vulnerability["id"], tuple(vulnerability.get("fix_versions", [])))
        for dependency in report.get("dependencies", [])
        for vulnerability in dependency.get("vulns", [])
    ]


def skipped(report: dict[str, Any]) -> list[str]:
    """The dependencies pip-audit could not check, with its reason."""
    return [f"{d['name']}: {d['skip_reason']}" for d in report.get("dependencies", []) if "skip_reason" in d]


def audit() -> dict[str, Any]:
    """pip-audit's report over the requirements uv.lock pins (with their hashes)."""
    with tempfile.TemporaryDirectory() as folder:
        requirements = Path(folder) / "requirements.txt"
        subprocess.run([TOOLS / "uv", "export", "--frozen", "--all-groups", "--no-emit-project", "--no-emit-local",
                        "--quiet", "-o", str(requirements)], cwd=ROOT, check=True)
        run = subprocess.run([TOOLS / "pip-audit", "--requirement", str(requirements), "--require-hashes",
                              "--disable-pip", "--format", "json", "--progress-spinner", "off"],
                             capture_output=True, text=True)
        if not run.stdout.strip():
            raise RuntimeError(f"pip-audit gave no report: {run.stderr.strip()}")
        return json.loads(run.stdout)


def main() -> int:
    if not database_answers():
        print(f"note: no vulnerability database answers ({PROBE}); the dependency audit did not run.")
        return 0
    report = audit()
    unchecked = skipped(report)
    for reason in unchecked:
        print(f"not checked: {reason}")
    if unchecked and len(unchecked) == len(report.get("dependencies", [])):
        print("The audit checked nothing: every dependency was skipped.")
        return 1
    found = findings(report)
    for finding in found:
        fix = f"fixed in {', '.join(finding.fixed_in)}" if finding.fixed_in else "no fixed release yet"
        print(f"{finding.package} {finding.version}: {finding.vulnerability} ({fix})")
    fixable = [finding for finding in found if finding.fixed_in]
    print(f"{len(found)} known vulnerabilities in the locked dependencies, {len(fixable)} with a fixed release.")
    return 1 if fixable else 0


if __name__ == "__main__":
    sys.exit(main())
