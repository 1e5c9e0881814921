"""Starting and stopping the stack's real processes: Redis, Daphne, Celery workers.

Used by ``make run`` (the demo), ``make test`` and the tests' fixtures, so
there is one way to bring a process up, wait for it and take it down.
"""
