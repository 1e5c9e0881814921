"""Finding 49's diagnostic: 10,000 sockets opened and closed three times, memory read every half second.

Run from the project root with ``diag.patch`` applied (it adds the frozen objects' count by type
to each memory report while fewer than 300 connections are held): ``python diag_leak.py``.
"""
import os
import signal
import time


def main() -> None:
    from bench.stack import BenchStack

    stack = BenchStack("sqlite")
    try:
        os.environ.update(stack.env)
        import django

        django.setup()
        from bench import clients, scenarios
        from bench.instrumented_daphne import memory_reports
        from bench.learners import create_learners
        from devstack.processes import wait_until

        learners = create_learners(10000, "bench")
        scenarios.give_live_items(learners)
        report = stack.log_dir / f"memory-diag-{time.monotonic_ns()}.jsonl"
        process = stack.server("daphne", MEMORY_REPORT_FILE=str(report), DIAG_KINDS="1")
        pid = process.popen.pid
        for cycle in range(3):
            pools = clients.SocketPools(process.extra["url"], learners)
            pools.wait_open(len(learners), 600)
            started = time.time()
            pools.close()
            print(f"cycle {cycle}: closed pools in {time.time() - started:.1f}s", flush=True)
            for reading in range(40):
                before = len(memory_reports(report))
                os.kill(pid, signal.SIGUSR2)

                def written(before: int = before) -> bool:
                    return len(memory_reports(report)) > before

                wait_until(written, 30, "report")
                last = memory_reports(report)[-1]
                print(f"  +{time.time() - started:5.1f}s blocks {last['blocks']} frozen {last['frozen']} "
                      f"conns {last['connections']}", flush=True)
                if "kinds" in last and reading % 3 == 0:
                    print("     ", last["kinds"][:12], flush=True)
                time.sleep(0.5)
        stack.stop(process)
    finally:
        stack.close()


if __name__ == "__main__":
    main()
