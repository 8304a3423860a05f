import logging
import random
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections
from django.utils import timezone

from takedowns.listing_generator import Generator

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = ("Create a new demo listing every few seconds through the marketplace's entry point and print its "
            "screening outcome (issue 14; under `make run`). Demo mode only.")

    # --count counts steps (a step without sellers or with an error too), so that it always ends.

    def add_arguments(self, parser):
        parser.add_argument("--every", type=float, default=20.0, help="Seconds between two listings (default 20).")
        parser.add_argument("--count", type=int, default=0, help="How many listings, then stop (default 0: "
                                                                  "until stopped with Ctrl-C).")
        parser.add_argument("--seed", type=int, default=None, help="Random seed, for the same listings each run "
                                                                   "(default: other sellers and prices each run).")

    def handle(self, *args, every: float, count: int, seed: int | None, **options):
        if not settings.DEMO_MODE:
            raise CommandError("Demo listings are generated only with DEMO_MODE=true.")
        generator = Generator(random.Random(seed))
        steps = 0
        try:
            while not count or steps < count:
                self._one(generator)
                steps += 1
                if not count or steps < count:
                    time.sleep(every)
        except KeyboardInterrupt:
            self.stdout.write("generate_listings: stopped.")

    def _one(self, generator: Generator) -> None:
        """One step; an error is printed and the next step tried (under honcho, a process that exits stops the
        whole demo)."""
        close_old_connections()
        try:
            generated = generator.next(timezone.now())
            sold = generator.sell(timezone.now())
        except Exception:
            logger.exception("generate_listings: this step failed; trying again at the next")
            return
        if generated is None:
            self.stdout.write("generate_listings: no demo sellers yet (load_seeds); waiting.")
            return
        self.stdout.write(generated.line(), ending="\n")
        if sold is not None:
            self.stdout.write(f"sale      {sold.external_id} sold one ({sold.title!r})")
        self.stdout.flush()
