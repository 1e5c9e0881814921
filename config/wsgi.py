"""WSGI entry: a node's pages and JSON API, served by gunicorn (devstack.node, docker-compose.yml).

Gunicorn imports this module in each worker process after forking it, so what
is loaded here is loaded once per worker, before the worker accepts a request.
"""
import os
from importlib import import_module

from django.conf import settings
from django.core.wsgi import get_wsgi_application

from realtime import collector

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()

# Django imports the URLconf (and with it every view, serializer and the API schema) on a
# process's first request: about half a second of CPU that a worker would otherwise spend
# on the first requests nginx happens to send it, in the middle of a burst (bench/notes.md,
# finding 35).
import_module(settings.ROOT_URLCONF)
# Everything loaded by now lives as long as the worker: full collections need not walk it again.
collector.freeze_start_up()
