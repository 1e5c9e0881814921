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
its holder's process dies. SQLite's own lock stays the guard: a write from
outside a transaction, or from another program, still waits on SQLite's
timeout as before, and this lock only decides which of our transactions goes
next. The wait has no timeout of its own: every transaction of this project is
short and makes no network call, so a waiter waits one holder's transaction.
"""
import fcntl
import os

from django.db.backends.sqlite3 import base


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

    def _start_transaction_under_autocommit(self) -> None:
        descriptor = self._lock_descriptor()
        if descriptor is not None:
            fcntl.flock(descriptor, fcntl.LOCK_EX)  # releases the GIL while it waits
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            self._release_writer_lock()
            raise

    def _release_writer_lock(self) -> None:
        if self._writer_lock is not None and self._writer_lock_pid == os.getpid():
            fcntl.flock(self._writer_lock, fcntl.LOCK_UN)

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]
        finally:
            self._release_writer_lock()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]
        finally:
            self._release_writer_lock()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]
        finally:
            if self._writer_lock is not None and self._writer_lock_pid == os.getpid():
                os.close(self._writer_lock)  # releases the lock if a transaction still held it
            self._writer_lock = None
