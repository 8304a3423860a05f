from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import NoReverseMatch
from django.utils import timezone

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
        seeding.load_sales(folder, timezone.now())
        registered = seeding.load_protection(folder, timezone.now())
        professionals = seeding.load_organisations(folder, timezone.now())
        self.stdout.write(f"Demo data: {sellers} sellers, {listings} listings, {rights} rights, "
                          f"{notices} new demo notices.")
        for right in registered:
            self.stdout.write(f"  registered right {right.reference} ({right.title}), its private page: "
                              f"{self._private_page(right)}")
        for organisation in professionals:
            self.stdout.write(f"  organisation {organisation.reference} ({organisation.name}), its private page: "
                              f"{settings.SITE_URL}{organisation.tracking_path()}")
        if professionals:
            self.stdout.write(f"  demo API key (README: export DEMO_API_KEY=...): {settings.DEMO_API_KEY}")
        for person in logins:
            self.stdout.write(f"  demo login: {person['username']} / {person['password']}")

    @staticmethod
    def _private_page(right) -> str:
        try:
            return f"{settings.SITE_URL}{right.tracking_path()}"
        except NoReverseMatch:  # the registry's pages are not in this build
            return "not in this build"
