"""The settings of a test run: the production settings (debug off), with this run's own secrets.

Debug off makes the settings insist on real secrets (config.settings.secret);
each test run makes its own, and the servers the tests start inherit them.
"""
import os
import secrets

for name in ("DJANGO_SECRET_KEY", "CHANNEL_LAYER_ENCRYPTION_KEY", "PAYMENT_WEBHOOK_SECRET"):
    os.environ.setdefault(name, secrets.token_urlsafe(50))

from config.settings import *  # noqa: E402, F403
