import json

from django.core.management.base import BaseCommand
from django.utils import timezone

from takedowns import dispatch, outbox


class Command(BaseCommand):
    help = ("Print, as JSON, the task dispatches published and waiting for the broker (and the oldest "
            "wait), and the e-mails by sending state with their SMTP attempts and takeovers.")

    def handle(self, *args, **options):
        status = {"dispatches": dispatch.backlog(timezone.now()), "emails": outbox.delivery_counts()}
        self.stdout.write(json.dumps(status, indent=2))
