"""Send to the broker, now, the parked and stalled orders that every worker's relay sends on its own."""
from django.core.management.base import BaseCommand

from commerce import dispatch


class Command(BaseCommand):
    help = "Send parked orders and orders whose fulfillment is overdue to the broker (what the workers' relay does)."

    def handle(self, *args, **options) -> None:
        parked = dispatch.relay_parked()
        stalled = dispatch.resend_stalled()
        self.stdout.write(f"{len(parked)} parked order(s) sent: {' '.join(parked) or '-'}")
        self.stdout.write(
            f"{len(stalled)} stalled order(s) sent again (threshold {dispatch.stall_threshold():.0f} s): "
            f"{' '.join(stalled) or '-'}"
        )
