"""`make run`'s runner as a new user meets it: a busy port is reported, and a double Ctrl-C still stops
every process it started."""
import signal
import socket
import subprocess
import sys
import threading

import pytest

from devstack.processes import ROOT, free_port, port_open, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.any_database, pytest.mark.django_db(transaction=True)]


def demo_env(stack_env: dict[str, str]) -> dict[str, str]:
    """The test stack's database and Redis, but the demo's own prefix and queue, and its output
    buffered when it goes to a pipe (as `make run | tee` has it)."""
    dropped = ("CHANNEL_LAYER_PREFIX", "CELERY_QUEUE", "DJANGO_DEBUG", "PYTHONUNBUFFERED")
    return {k: v for k, v in stack_env.items() if k not in dropped}


def test_a_busy_port_is_reported_not_silently_replaced(stack_env):
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    port = holder.getsockname()[1]
    try:
        run = subprocess.run([sys.executable, "-m", "devstack", "run", "--port", str(port)], cwd=ROOT,
                             env=demo_env(stack_env), capture_output=True, text=True, timeout=60)
    finally:
        holder.close()
    assert run.returncode == 1
    assert f"Port {port} is taken (" in run.stderr and "make run" in run.stderr, run.stderr


def test_a_double_interrupt_still_stops_everything(stack_env):
    port = free_port()
    # Started with SIGINT ignored, as a shell script's background job is: Ctrl-C must still stop it.
    runner = subprocess.Popen([sys.executable, "-m", "devstack", "run", "--port", str(port)], cwd=ROOT,
                              env=demo_env(stack_env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    output: list[str] = []
    threading.Thread(target=lambda: output.extend(runner.stdout), daemon=True).start()
    wait_until(lambda: any("demo is up" in line for line in output), 120, "the demo to start")
    assert port_open("127.0.0.1", port)
    runner.send_signal(signal.SIGINT)
    wait_until(lambda: any("Stopping" in line for line in output), 10, "the runner to start stopping")
    # Said at once, not held in the pipe's buffer until the servers have drained (2 s in the demo).
    assert not any("Stopped." in line for line in output), output
    runner.send_signal(signal.SIGINT)  # impatient: a second Ctrl-C while it stops
    runner.wait(60)
    wait_until(lambda: any("Stopped." in line for line in output), 10, "the runner to say it stopped")
    assert not port_open("127.0.0.1", port), "nothing holds the port"
    leftovers = subprocess.run(["pgrep", "-f", f"-p {port}|:{port}"], capture_output=True, text=True).stdout.split()
    assert not leftovers, f"processes left: {leftovers}"
