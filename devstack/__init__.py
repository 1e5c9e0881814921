"""Starting and stopping the stack's real processes: Redis, Daphne, Celery workers.

Used by ``make run`` (the demo), ``make test`` and the tests' fixtures, so
there is one way to bring a process up, wait for it and take it down.
"""

# The demo's service token for the events API (README, "Publishing from a worker in
# another codebase"); the tests' stack accepts it too, so the README's example runs as written.
DEMO_EVENTS_TOKEN = "demo-events-token"
