"""The benchmark suite: ``python -m bench`` (``make bench``), ``--smoke`` for a quick run.

It starts its own stack (a private Redis, Daphne or uvicorn, gunicorn, Celery
workers, a SQLite database of its own under var/bench/), drives it with its
own load clients in separate processes, all on loopback, every loop bounded
in count and time, and writes bench/results/ and docs/performance.md.
"""
