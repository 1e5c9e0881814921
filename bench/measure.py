"""Numbers from processes and samples: CPU seconds, resident memory, percentiles."""
import os
from pathlib import Path
from statistics import quantiles

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children that have been waited for."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(v) for v in fields[11:15]) / TICKS


def tree_cpu_seconds(root: int) -> float:
    """CPU of a process and all its live descendants (gunicorn and Celery fork workers)."""
    return sum(cpu_seconds(pid) for pid in [root, *descendants(root)] if os.path.exists(f"/proc/{pid}"))


def descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                parent = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError):
                continue
            children.setdefault(parent, []).append(int(entry))
    found, stack = [], [root]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def cpu_seconds_by_pid(pids: list[int]) -> dict[int, float]:
    """Own user + system CPU of each of these processes still alive (not their children's)."""
    seconds = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        seconds[pid] = (int(fields[11]) + int(fields[12])) / TICKS
    return seconds


def cpu_seconds_since(before: dict[int, float], pids: list[int]) -> float:
    """CPU these processes used since ``before`` was taken; one started since counts whole,
    one gone since counts nothing (its last moments are lost)."""
    return sum(now - before.get(pid, 0.0) for pid, now in cpu_seconds_by_pid(pids).items())


def postgres_pids() -> list[int]:
    """Every PostgreSQL server process on the machine (its backends do the queries' work)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if Path(f"/proc/{entry}/comm").read_text().strip() in ("postgres", "postmaster"):
                    found.append(int(entry))
            except OSError:
                continue
    return found


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def distribution(samples_ms: list[float]) -> dict[str, float | int | None]:
    """p50/p95/p99/max of a list of milliseconds (None when empty)."""
    if not samples_ms:
        return {"count": 0, "p50": None, "p95": None, "p99": None, "max": None}
    ordered = sorted(samples_ms)
    if len(ordered) == 1:
        p50 = p95 = p99 = ordered[0]
    else:
        cuts = quantiles(ordered, n=100, method="inclusive")
        p50, p95, p99 = cuts[49], cuts[94], cuts[98]
    return {"count": len(ordered), "p50": round(p50, 3), "p95": round(p95, 3), "p99": round(p99, 3),
            "max": round(ordered[-1], 3)}


P99_LIMIT_MS = 50.0


def sustained(step: dict) -> bool:
    """A publish rate held: nothing lost, p99 within the limit, at least 90 % of the offered rate achieved."""
    return (step["p50"] is not None and not step["lost"] and step["p99"] <= P99_LIMIT_MS
            and step["achieved_rate"] >= 0.9 * step["offered_rate"])
