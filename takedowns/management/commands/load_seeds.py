from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from takedowns import seeding


class Command(BaseCommand):
    help = "Load the demo catalogue, rights, reviewers and notices from seeds/ (idempotent; demo mode only)."

    def add_arguments(self, parser):
        parser.add_argument("--seeds", default=str(Path(settings.BASE_DIR) / "seeds"))

    def handle(self, *args, seeds: str, **options):
        if not settings.DEMO_MODE:
            raise CommandError("Demo data and demo logins are loaded only with DEMO_MODE=true.")
        folder = Path(seeds)
        sellers, listings = seeding.load_catalogue(folder)
        rights = seeding.load_rights(folder)
        logins = seeding.load_reviewers(folder)
        notices = seeding.load_notices(folder)
        self.stdout.write(f"Demo data: {sellers} sellers, {listings} listings, {rights} rights, "
                          f"{notices} new demo notices.")
        for person in logins:
            self.stdout.write(f"  demo login: {person['username']} / {person['password']}")
