"""Where the cost goes: a heap diff of a Daphne holding sockets, and a CPU profile of a running server.

The memory profile runs Daphne under ``tracemalloc`` (``bench.instrumented_daphne``) and
attributes the bytes that opening sockets adds to the package that allocated them.
The CPU profile samples a live process with py-spy, counting only samples that hold
the GIL (the Python work; threads waiting on each other are left out).
"""
import re
import signal
import subprocess
import sys
import time
import tracemalloc
import urllib.request
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from bench import clients
from bench.stack import BenchStack
from devstack.processes import BIN, ROOT, wait_until

PACKAGES = re.compile(r"site-packages/(.+)$")
STDLIB = re.compile(r"/python3\.\d+/(.+)$")
OUR_APPS = {"bench", "commerce", "config", "dashboard", "devstack", "realtime"}
# Twisted and Autobahn are Daphne's own HTTP and WebSocket machinery.
OWNERS = {"twisted": "daphne", "autobahn": "daphne", "txaio": "daphne", "zope": "daphne"}


def module_path(filename: str) -> str:
    """``django/db/utils.py`` from an absolute path (tracemalloc) or as py-spy prints it already."""
    if match := PACKAGES.search(filename):
        return match.group(1)
    if filename.startswith(str(ROOT) + "/"):
        return filename[len(str(ROOT)) + 1:]
    if match := STDLIB.search(filename):
        return match.group(1)
    return filename


def owner(filename: str) -> str:
    """Who allocated or ran this: a package, a stdlib module, or one of our apps."""
    first = module_path(filename).split("/")[0].removesuffix(".py")
    if first in OUR_APPS:
        return "ours: " + first
    if first in sys.stdlib_module_names:
        return "stdlib: " + first
    return OWNERS.get(first, first)


# --- Memory ---------------------------------------------------------------------


def heap_per_socket(stack: BenchStack, learners, count: int) -> dict:
    """Bytes per idle socket by owner, from tracemalloc snapshots before and after ``count`` sockets."""
    folder = stack.log_dir / f"heap-{time.monotonic_ns()}"
    folder.mkdir(parents=True)
    process = stack.server("daphne", TRACED_SNAPSHOT_DIR=str(folder))
    url = process.extra["url"]
    urllib.request.urlopen(f"{url}/accounts/login/").read()
    warm = clients.SocketPools(url, learners[:10])  # first-connection imports and caches, not per-socket costs
    warm.wait_open(10, 60)
    warm.close()

    def snapshot(number: int) -> tracemalloc.Snapshot:
        process.popen.send_signal(signal.SIGUSR1)
        wait_until(lambda: (folder / f"{number}.done").exists(), 300, "a heap snapshot")
        return tracemalloc.Snapshot.load(str(folder / f"{number}.snapshot"))

    before = snapshot(0)
    pools = clients.SocketPools(url, learners[:count])
    pools.wait_open(count, 600)
    after = snapshot(1)
    pools.close()
    stack.stop(process)
    by_owner: Counter = Counter()
    for stat in after.compare_to(before, "filename"):
        by_owner[owner(stat.traceback[0].filename)] += stat.size_diff
    lines = [(f"{module_path(s.traceback[0].filename)}:{s.traceback[0].lineno}", round(s.size_diff / count))
             for s in after.compare_to(before, "lineno")[:15]]
    return {
        "sockets": count,
        "traced_bytes_per_socket": round(sum(by_owner.values()) / count),
        "owners": [(name, round(size / count)) for name, size in by_owner.most_common() if size / count >= 50],
        "top_lines": lines,
    }


# --- CPU --------------------------------------------------------------------------

# Frames whose inclusive share answers "how much of the work is this?", when present.
COST_CENTRES = [
    ("the API view, all of it (DRF)", "APIView.dispatch (rest_framework/views.py"),
    ("  reading the session and the user", "SessionStore.load (django/contrib/sessions/backends/db.py"),
    ("  the enrollments queries", "changed_since (dashboard/selectors.py"),
    ("opening a database connection", "BaseDatabaseWrapper.connect (django/db/backends/base/base.py"),
    ("starting a thread", "Thread.start (threading.py"),
]
BRIDGING = {"stdlib: asyncio", "stdlib: threading", "stdlib: concurrent", "asgiref"}


def cpu_profile(pid: int, seconds: float, action: Callable[[], object]) -> dict:
    """Sample ``pid`` with py-spy while ``action`` runs; shares of GIL-holding samples."""
    raw = Path(f"/tmp/bench-profile-{pid}-{time.monotonic_ns()}.txt")
    spy = subprocess.Popen(
        [str(BIN / "py-spy"), "record", "--pid", str(pid), "--format", "raw", "--output", str(raw), "--gil",
         "--nonblocking", "--rate", "250", "--duration", str(max(1, int(seconds)))],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    action()
    _, err = spy.communicate(timeout=seconds + 60)
    if spy.returncode != 0 or not raw.exists():
        return {"samples": 0, "error": err.decode(errors="replace").strip()[-500:] or f"py-spy exited {spy.returncode}"}
    stacks = [(line.rpartition(" ")[0].split(";")[1:], int(line.rpartition(" ")[2]))
              for line in raw.read_text().splitlines() if line.strip()]
    raw.unlink()
    return summarize(stacks)


def summarize(stacks: list[tuple[list[str], int]]) -> dict:
    """Self share by owner, inclusive share of the cost centres, and the sync/async bridging share."""
    total = sum(count for _, count in stacks) or 1
    self_time: Counter = Counter()
    centres: Counter = Counter()
    for frames, count in stacks:
        if not frames:
            continue
        leaf = re.search(r"\((.*?)(?::\d+)?\)$", frames[-1])
        self_time[owner(leaf.group(1)) if leaf else "other"] += count
        for label, frame in COST_CENTRES:
            if any(f.startswith(frame) for f in frames):
                centres[label] += count
    return {
        "samples": total,
        "self_by_owner": [(name, round(100 * n / total, 1)) for name, n in self_time.most_common(10)],
        "cost_centres": [(label, round(100 * centres[label] / total, 1)) for label, _ in COST_CENTRES],
        "sync_async_bridging": round(100 * sum(n for name, n in self_time.items() if name in BRIDGING) / total, 1),
    }
