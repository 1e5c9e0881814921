"""Enqueue again the placed orders whose fulfillment stalled (what Celery beat runs)."""
from django.core.management.base import BaseCommand

from commerce.tasks import requeue_stalled_orders


class Command(BaseCommand):
    help = "Enqueue fulfillment again for open orders whose attempt is overdue."

    def handle(self, *args, **options) -> None:
        stalled = requeue_stalled_orders()
        self.stdout.write(f"{len(stalled)} stalled order(s) enqueued again: {' '.join(stalled) or '-'}")
