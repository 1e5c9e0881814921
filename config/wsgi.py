"""WSGI entry, for serving plain HTTP (the polling comparison runs gunicorn on it)."""
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()
