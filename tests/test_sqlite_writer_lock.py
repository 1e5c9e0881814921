"""config.sqlite_backend: our transactions queue on a lock the kernel hands over, not on SQLite's retries.

Every connection here has SQLite's own busy timeout at 0, so a writer that met
a held lock through SQLite alone would fail at once with "database is locked";
with the backend it waits for the holder to finish, however the holder ends.
"""
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db.utils import ConnectionHandler

from devstack.processes import ROOT


def open_database(path: Path):
    """A connection of the project's SQLite backend to ``path``, for this thread only."""
    handler = ConnectionHandler({"default": {
        "ENGINE": "config.sqlite_backend", "NAME": str(path),
        "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 0},
    }})
    return handler["default"]


def begin(connection) -> None:
    """Start a transaction as ``transaction.atomic`` does on SQLite."""
    connection.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)


def end(connection, how: str = "commit") -> None:
    getattr(connection, how)()
    connection.set_autocommit(True)


class Writer(threading.Thread):
    """Another thread's insert of ``value``, in a transaction or alone (autocommit); ``outcome`` says how it ended."""

    def __init__(self, path: Path, value: int, alone: bool = False) -> None:
        super().__init__(daemon=True)
        self.path, self.value, self.alone, self.outcome = path, value, alone, "waiting"

    def run(self) -> None:
        connection = open_database(self.path)
        try:
            if self.alone:
                connection.cursor().execute("INSERT INTO t VALUES (%s)", [self.value])
            else:
                begin(connection)
                connection.cursor().execute("INSERT INTO t VALUES (%s)", [self.value])
                end(connection)
            self.outcome = "committed"
        except Exception as error:
            self.outcome = repr(error)
        finally:
            connection.close()


@pytest.fixture
def database(tmp_path: Path, django_db_blocker) -> Iterator[Path]:
    """A database of its own, in a file (not the test database, which these connections do not use)."""
    with django_db_blocker.unblock():
        yield make_database(tmp_path)


def make_database(tmp_path: Path) -> Path:
    path = tmp_path / "db.sqlite3"
    connection = open_database(path)
    connection.cursor().execute("CREATE TABLE t (n INTEGER)")
    connection.close()
    return path


def values(path: Path) -> list[int]:
    connection = open_database(path)
    try:
        return [n for (n,) in connection.cursor().execute("SELECT n FROM t ORDER BY n").fetchall()]
    finally:
        connection.close()


def wait_for(writer: Writer, release: Callable[[], None]) -> None:
    """``writer`` waits while the lock is held (for half a second), and commits once ``release`` ran."""
    writer.start()
    writer.join(0.5)
    assert writer.outcome == "waiting", writer.outcome
    release()
    writer.join(10)
    assert writer.outcome == "committed"


@pytest.mark.parametrize("how", ["commit", "rollback"])
def test_a_writer_waits_for_the_holder_to_end_its_transaction(database: Path, how: str) -> None:
    holder = open_database(database)
    begin(holder)
    holder.cursor().execute("INSERT INTO t VALUES (1)")
    wait_for(Writer(database, 2), lambda: end(holder, how))
    assert values(database) == ([1, 2] if how == "commit" else [2])


def test_a_write_outside_a_transaction_waits_its_turn_too(database: Path) -> None:
    holder = open_database(database)
    begin(holder)
    holder.cursor().execute("INSERT INTO t VALUES (1)")
    wait_for(Writer(database, 2, alone=True), lambda: end(holder))
    assert values(database) == [1, 2]


def test_closing_a_connection_inside_its_transaction_frees_the_lock(database: Path) -> None:
    holder = open_database(database)
    begin(holder)
    holder.cursor().execute("INSERT INTO t VALUES (1)")
    wait_for(Writer(database, 2), holder.close)
    assert values(database) == [2]


HOLD_IN_ANOTHER_PROCESS = """
import sys, django
django.setup()
from tests.test_sqlite_writer_lock import begin, open_database
connection = open_database(sys.argv[1])
begin(connection)
connection.cursor().execute("INSERT INTO t VALUES (1)")
print("held", flush=True)
sys.stdin.read()  # holds the transaction until the test kills this process
"""


def test_a_process_that_dies_holding_the_lock_frees_it(database: Path) -> None:
    holder = subprocess.Popen([sys.executable, "-c", HOLD_IN_ANOTHER_PROCESS, str(database)], cwd=ROOT,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        wait_for(Writer(database, 2), holder.kill)
    finally:
        holder.kill()
        holder.wait()
    assert values(database) == [2]  # the dead process's insert never committed
