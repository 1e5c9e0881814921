"""SQLite whose one write lock passes from writer to writer the moment it is free.

SQLite lets one transaction at a time write. A writer that finds the lock held
waits in SQLite's busy handler, which sleeps 1, 2, 5, 10 ... then 100 ms between
tries and is never told when the lock is freed; so under a burst the lock sits
free between holders while its waiters sleep, and the unlucky ones try again
and again: in the capacity ladder a worker waited 2.7 s to begin a transaction
that then held the lock for 4 ms (finding 34 in bench/notes.md).

Here every transaction first takes an exclusive ``flock(2)`` on a file beside
the database (``<name>-writer.lock``) and lets it go when it commits or rolls
back; the kernel wakes a waiter as soon as it is released, and frees it when
its holder's process dies. A statement that writes outside a transaction (an
``update()`` in autocommit mode) is a transaction of its own to SQLite, so it
takes the lock around itself: left to SQLite's retries, such a write waited
up to 4 s behind the transactions that queue here. SQLite's own lock stays
the guard: another program's writes still wait on SQLite's timeout, and this
lock only decides which of ours goes next. The wait has no timeout of its
own: every transaction of this project is short and makes no network call,
so a waiter waits out the transactions ahead of it.
"""
import fcntl
import os
import sqlite3
from collections.abc import Callable
from typing import Any

from django.db.backends.sqlite3 import base

WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


class Cursor(base.SQLiteCursorWrapper):
    """A cursor whose writes outside a transaction wait for the writer lock like a transaction."""

    def __init__(self, connection: sqlite3.Connection, wrapper: "DatabaseWrapper") -> None:
        super().__init__(connection)
        self.wrapper = wrapper

    def execute(self, query: str, params: Any = None) -> Any:
        return self._in_turn(super().execute, query, params)

    def executemany(self, query: str, param_list: Any) -> Any:
        return self._in_turn(super().executemany, query, param_list)

    def _in_turn(self, run: Callable[[str, Any], Any], query: str, arguments: Any) -> Any:
        if self.connection.in_transaction or not query.lstrip()[:7].upper().startswith(WRITES):
            return run(query, arguments)
        self.wrapper.take_writer_lock()
        try:
            return run(query, arguments)
        finally:
            self.wrapper.release_writer_lock()


# The hooks overridden here are Django's private ones, which django-stubs does not declare
# (hence the "type: ignore[misc]" on each call up).
class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # A descriptor of this connection's own (flock conflicts between two opens of the file,
        # in one process or two), and the process that opened it: a fork shares the descriptor's
        # lock with the parent, so a child opens its own.
        self._writer_lock: int | None = None
        self._writer_lock_pid = 0

    def _lock_descriptor(self) -> int | None:
        if self.is_in_memory_db():
            return None
        if self._writer_lock is None or self._writer_lock_pid != os.getpid():
            self._writer_lock = os.open(f"{self.settings_dict['NAME']}-writer.lock", os.O_RDWR | os.O_CREAT, 0o600)
            self._writer_lock_pid = os.getpid()
        return self._writer_lock

    def take_writer_lock(self) -> None:
        descriptor = self._lock_descriptor()
        if descriptor is not None:
            fcntl.flock(descriptor, fcntl.LOCK_EX)  # releases the GIL while it waits

    def release_writer_lock(self) -> None:
        if self._writer_lock is not None and self._writer_lock_pid == os.getpid():
            fcntl.flock(self._writer_lock, fcntl.LOCK_UN)

    def create_cursor(self, name: str | None = None) -> Cursor:
        return self.connection.cursor(factory=lambda connection: Cursor(connection, self))

    def _start_transaction_under_autocommit(self) -> None:
        self.take_writer_lock()
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            self.release_writer_lock()
            raise

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]
        finally:
            self.release_writer_lock()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]
        finally:
            self.release_writer_lock()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]
        finally:
            if self._writer_lock is not None and self._writer_lock_pid == os.getpid():
                os.close(self._writer_lock)  # releases the lock if a transaction still held it
            self._writer_lock = None
