"""Listing screening (issue 14): `bench/screening [--reuse]`. On PostgreSQL, with 100,000 protected terms
(1,000 verified rights of 100 terms) and 1,000,000 stay-down fingerprints (random 64-bit image hashes and
MinHash signatures, plus planted near-duplicates), it measures in one process with the production settings:

- screen() per listing: p50/p95 over --listings listings, mixed (clean, a plain brand mention, a disguised
  brand, a low price, a relist by the same seller, a relist by another seller), each with a picture to hash;
  the verdicts are checked against what each kind must give;
- a burst: --burst listings screened one after another with screen() (listings/s), and the same burst through
  screen_many in batches of --batch (one database round of each kind per batch), checked to give the same
  verdicts;
- what screening adds to creating a listing: the listing INSERT alone vs the INSERT + screen() + the
  Screening and ScreeningHit INSERTs (CASES's workflow, listing_submitted, is not on this branch: this is its
  read and write cost without the case it opens for a hold), in interleaved pairs, medians and their ratio.

The load (COPY of the terms, INSERT … SELECT generate_series of the fingerprints and their 14 index keys each,
indexes rebuilt after) takes a few minutes; --reuse keeps the database (default bench_engine) for the next run.
The background fingerprints' text keys are random 48-bit values, as hashing random signatures would give;
the planted ones are written through screening/fingerprints.record, keys and all. Results: bench/RESULTS.md,
"Listing screening (issue 14)"."""

import argparse
import io
import random
import statistics
import sys
import time
from decimal import Decimal

import harness
import pg

SYLLABLES = [consonant + vowel for consonant in "bcdfghjklmnprstvwxz" for vowel in "aeiou"]
KINDS = ("clean", "plain_brand", "disguised_brand", "low_price", "relist_same_seller", "relist_other_seller")
EXPECTED = {"clean": "publish", "plain_brand": "publish", "disguised_brand": "hold", "low_price": "hold",
            "relist_same_seller": "block", "relist_other_seller": "hold"}
SELLERS, RIGHTS, PLANTED = 1000, 1000, 500
WORDS = ("running shoes trainers leather bag wallet watch jacket hoodie cap sneakers boots belt scarf sunglasses "
         "perfume headphones charger case backpack dress shirt jeans size colour black white red blue new used "
         "original box receipt gift bundle vintage limited edition sport casual").split()


def term_word(number: int) -> str:
    """A brand-like word of three or four consonant-vowel syllables: no digit, no doubled letter."""
    first, rest = divmod(number, len(SYLLABLES) ** 2)
    middle, last = divmod(rest, len(SYLLABLES))
    return ("Q" + SYLLABLES[first] + SYLLABLES[middle] + SYLLABLES[last]).capitalize()


def picture(seed: int, size: int = 256, fmt: str = "JPEG") -> bytes:
    from PIL import Image  # noqa: PLC0415 (Pillow only where pictures are made)
    chooser = random.Random(seed)
    blocks = Image.new("L", (8, 8))
    blocks.putdata([chooser.randrange(256) for _ in range(64)])
    out = io.BytesIO()
    blocks.resize((size, size), Image.Resampling.BILINEAR).convert("RGB").save(out, fmt, quality=85)
    return out.getvalue()


# Listing words: the common ones above and 2,000 made-up ones ("o" + two syllables, never a brand term's "q").
VOCABULARY = WORDS + ["o" + first + second for first in SYLLABLES[:40] for second in SYLLABLES[:50]]


def sentence(chooser: random.Random, words: int) -> str:
    return " ".join(chooser.choice(VOCABULARY) for _ in range(words))


def load(db: str, terms: int, fingerprints: int) -> dict:
    """The protection list and the fingerprints, on a freshly migrated database."""
    from takedowns.screening.text import normalise  # noqa: PLC0415 (Django is set up by main() first)
    timings: dict[str, float] = {}
    pg.create_database(db)
    timings["migrate"] = pg.migrate()
    started = time.perf_counter()
    with pg.load_session(db, "30min") as cur:
        cur.execute("INSERT INTO takedowns_seller (external_id, name, email, country, strike_count, reported_items, "
                    "removed_items, account, created_at, address, payment_identity, language, account_group) "
                    "SELECT 'S-' || i, 'Seller ' || i, 'seller' || i || '@bench.example', 'DE', 0, 0, 0, 'active', "
                    "now(), '', '', 'en', CASE WHEN i % 10 = 0 THEN 'G-' || (i / 20) ELSE '' END "
                    f"FROM generate_series(1, {SELLERS}) i")
        cur.execute("INSERT INTO takedowns_right (right_type, registration_number, office, owner_name, title, status, "
                    "goods, classes, price_min, price_max, currency, tracking_token, confirmation_token, "
                    "registrant_name, registrant_organisation, registrant_email, registrant_role, language, "
                    "rejection_reason) SELECT 'trademark', 'BENCH-' || i, 'EUIPO', 'Owner ' || i, 'Mark ' || i, "
                    "'verified', '', '25', 100, 300, 'EUR', '', '', '', '', '', '', 'en', '' "
                    f"FROM generate_series(1, {RIGHTS}) i")
        # Every 10th right sells through authorised sellers only (seller i authorised for right i).
        cur.execute("INSERT INTO takedowns_right_authorised_sellers (right_id, seller_id) "
                    f"SELECT i, i FROM generate_series(10, {RIGHTS}, 10) i")
        with cur.copy("COPY takedowns_protectedterm (right_id, term, normalised) FROM STDIN") as copy:
            for number in range(terms):
                word = term_word(number)
                copy.write_row((1 + number % RIGHTS, word, normalise(word)))
        timings["sellers, rights, terms"] = time.perf_counter() - started
        harness.log(f"  {terms} terms in {timings['sellers, rights, terms']:.1f}s")
        image_hash = "(((random() * 4294967295)::bigint << 32) | (random() * 4294967295)::bigint)"
        statements = [
            ("fingerprints", "INSERT INTO takedowns_fingerprint (id, source, seller_id, account_group, text_signature, "
                             "image_hash, created_at) SELECT i, 'removal', 1 + i % " + str(SELLERS) + ", '', "
                             "(SELECT jsonb_agg((random() * 4294967295)::bigint) FROM generate_series(1, 32) s "
                             "WHERE s > -i), " + image_hash + ", now() "
                             f"FROM generate_series(1, {fingerprints}) i"),
            ("image keys", "INSERT INTO takedowns_fingerprintkey (fingerprint_id, key) "
                           "SELECT f.id, (1::bigint << 60) | (b::bigint << 48) | ((f.image_hash >> (16 * b)) & 65535) "
                           "FROM takedowns_fingerprint f, generate_series(0, 3) b"),
            ("text keys", "INSERT INTO takedowns_fingerprintkey (fingerprint_id, key) "
                          "SELECT f.id, (2::bigint << 60) | (b::bigint << 48) | (random() * 281474976710655)::bigint "
                          "FROM takedowns_fingerprint f, generate_series(0, 9) b"),
        ]
        timings.update(pg.bulk_load(cur, statements, ["takedowns_fingerprintkey", "takedowns_fingerprint"],
                                    ["takedowns_fingerprint", "takedowns_fingerprintkey", "takedowns_seller",
                                     "takedowns_right"]))
        started = time.perf_counter()
        for statement in ("SET session_replication_role = origin", "VACUUM (ANALYZE)", "CHECKPOINT"):
            cur.execute(statement)
        timings["vacuum"] = time.perf_counter() - started
    return timings


def plant(chooser: random.Random, now) -> list[dict]:
    """PLANTED removed listings (text, picture, seller) written through the app's writer."""
    from takedowns.enums import FingerprintSource  # noqa: PLC0415 (Django is set up by main() first)
    from takedowns.imaging import perceptual_hash  # noqa: PLC0415 (likewise)
    from takedowns.screening import fingerprints  # noqa: PLC0415 (likewise)
    planted = []
    for number in range(PLANTED):
        title, description = sentence(chooser, 8), sentence(chooser, 30)
        seed = 10_000 + number
        seller_id = 1 + chooser.randrange(SELLERS)
        fingerprints.record(source=FingerprintSource.REMOVAL, created_at=now, seller_id=seller_id,
                            image_hash=perceptual_hash(picture(seed, 128, "PNG")),
                            text_signature=fingerprints.listing_signature(title, description, {}))
        planted.append({"title": title, "description": description, "seed": seed, "seller_id": seller_id})
    return planted


def make_listings(count: int, chooser: random.Random, planted: list[dict], prefix: str,
                  kinds: tuple[str, ...] = KINDS) -> list[tuple[str, object, bytes]]:
    """`count` listings (created, status pending), kinds in rotation, each with the picture it is screened with."""
    from takedowns.models import Listing  # noqa: PLC0415 (Django is set up by main() first)
    rows, made = [], []
    for number in range(count):
        kind = kinds[number % len(kinds)]
        seller_id = 1 + chooser.randrange(SELLERS)
        title, description, price, seed = sentence(chooser, 8), sentence(chooser, 30), Decimal("150.00"), 20_000
        seed += number
        word = term_word(chooser.randrange(100_000 if kind != "clean" else 1))
        right_id = 1 + (number % RIGHTS)
        if kind == "plain_brand":
            title = f"{word} {title}"
            while right_id % 10 == 0:  # a right with authorised sellers would hold it (unauthorised_seller)
                right_id = 1 + chooser.randrange(RIGHTS)
            word = term_word(right_id - 1)
            title = f"{word} {sentence(chooser, 7)}"
        elif kind == "disguised_brand":
            title = f"{'.'.join(word.upper())} {title}"
        elif kind == "low_price":
            word = term_word(right_id - 1 if right_id % 10 else right_id)
            title, price = f"{word} {title}", Decimal("20.00")
        elif kind.startswith("relist"):
            removed = planted[chooser.randrange(len(planted))]
            title, description, seed = removed["title"], removed["description"] + " fast shipping", removed["seed"]
            seller_id = removed["seller_id"] if kind == "relist_same_seller" else 1 + removed["seller_id"] % SELLERS
        rows.append(Listing(external_id=f"{prefix}-{number}", seller_id=seller_id, title=title,
                            description=description, category="shoes", price=price, status="pending",
                            attributes={"colour": chooser.choice(WORDS)}))
        made.append((kind, seed))
    created = Listing.objects.bulk_create(rows, batch_size=1000)
    pictures: dict[int, bytes] = {}
    out = []
    for listing, (kind, seed) in zip(Listing.objects.select_related("seller").filter(
            id__in=[row.id for row in created]).order_by("id"), made, strict=True):
        if seed not in pictures:
            pictures[seed] = picture(seed)  # a relist's picture: the removed one's, re-encoded larger as JPEG
        out.append((kind, listing, pictures[seed]))
    return out


def prepare(args: argparse.Namespace, result: dict) -> None:
    """The database loaded (or reused), its sizes and the automaton's build time recorded."""
    from django.db import connection  # noqa: PLC0415 (Django is set up by main() first)

    from takedowns.models import Fingerprint, FingerprintKey, ProtectedTerm, Seller  # noqa: PLC0415 (likewise)
    from takedowns.screening import engine, terms  # noqa: PLC0415 (likewise)
    db_exists = False
    if args.reuse:
        import psycopg  # noqa: PLC0415 (only to look for the kept database)
        with psycopg.connect(harness.PG_ADMIN, autocommit=True) as conn:
            db_exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [args.db]).fetchone() is not None
    if not db_exists:
        harness.log(f"loading {args.terms} terms and {args.fingerprints} fingerprints into {args.db}")
        result["load_seconds"] = load(args.db, args.terms, args.fingerprints)
    else:
        harness.log(f"reusing {args.db}")
    connection.close()
    result["sizes"] = {"terms": ProtectedTerm.objects.count(), "fingerprints": Fingerprint.objects.count(),
                       "fingerprint_keys": FingerprintKey.objects.count(), "sellers": Seller.objects.count()}
    engine.forget()
    t0 = time.perf_counter()
    terms.find([("title", "warm")])
    result["automaton_build_s"] = round(time.perf_counter() - t0, 3)
    harness.log(f"sizes {result['sizes']}; automaton built in {result['automaton_build_s']}s; {harness.uptime()}")


def per_listing(sample: list, result: dict, wrong: list[str]) -> None:
    """screen() one listing at a time: wall and CPU per listing, each verdict checked against its kind."""
    from takedowns.screening import engine  # noqa: PLC0415 (Django is set up by main() first)
    spent: dict[str, list[float]] = {kind: [] for kind in KINDS}
    cpu: list[float] = []
    for kind, listing, picture_bytes in sample:
        t0, c0 = time.perf_counter(), time.process_time()
        verdict = engine.screen(listing, picture_bytes)
        spent[kind].append(1000 * (time.perf_counter() - t0))
        cpu.append(1000 * (time.process_time() - c0))
        if verdict.outcome != EXPECTED[kind]:
            wrong.append(f"{kind} {listing.external_id}: {verdict.outcome} {[hit.rule for hit in verdict.hits]}")
    every = [ms for values in spent.values() for ms in values]
    result["per_listing_ms"] = {"all": harness.summary_ms(every, 2),
                                **{kind: harness.summary_ms(values, 2) for kind, values in spent.items()}}
    # The bench process's own CPU per listing (Python: hashing, normalising, building and reading the queries),
    # apart from the wall clock, which also waits for PostgreSQL and for a turn on a busy machine.
    result["per_listing_cpu_ms"] = harness.summary_ms(cpu, 2)
    harness.log(f"screen(): {result['per_listing_ms']['all']}; CPU of this process {result['per_listing_cpu_ms']}; "
                f"wrong verdicts: {len(wrong)} {wrong[:5]}")


def bursts(burst: list, batch: int, result: dict, wrong: list[str]) -> None:
    """The burst one by one with screen(), then through screen_many in batches (the same verdicts)."""
    from takedowns.screening import engine  # noqa: PLC0415 (Django is set up by main() first)
    t0, c0 = time.perf_counter(), time.process_time()
    for _kind, listing, picture_bytes in burst:
        engine.screen(listing, picture_bytes)
    seconds = time.perf_counter() - t0
    result["burst"] = {"listings": len(burst), "seconds": round(seconds, 2), "per_second": round(len(burst) / seconds),
                       "cpu_ms_per_listing": round(1000 * (time.process_time() - c0) / len(burst), 2)}
    harness.log(f"burst, screen() one by one: {result['burst']}")
    t0, c0, batched = time.perf_counter(), time.process_time(), []
    for start in range(0, len(burst), batch):
        batched += engine.screen_many([(listing, picture_bytes) for _kind, listing, picture_bytes
                                       in burst[start:start + batch]])
    seconds, cpu_seconds = time.perf_counter() - t0, time.process_time() - c0
    alone = [engine.screen(listing, picture_bytes) for _kind, listing, picture_bytes in burst[:200]]
    result["burst_batched"] = {"listings": len(burst), "batch": batch, "seconds": round(seconds, 2),
                               "per_second": round(len(burst) / seconds),
                               "cpu_ms_per_listing": round(1000 * cpu_seconds / len(burst), 2),
                               "same_verdicts_as_one_by_one_first_200": batched[:200] == alone}
    harness.log(f"burst, screen_many: {result['burst_batched']}")
    if batched[:200] != alone:
        wrong.append("screen_many differs from screen")


def insert_pairs(sample: list, pairs: int, run: str, now, result: dict) -> None:
    """The listing INSERT alone vs INSERT + screen() + Screening (+ hits), interleaved pairs, each its own commit."""
    from django.db import transaction  # noqa: PLC0415 (Django is set up by main() first)

    from takedowns.enums import ScreeningTrigger  # noqa: PLC0415 (likewise)
    from takedowns.models import Listing, Screening, ScreeningHit, Seller  # noqa: PLC0415 (likewise)
    from takedowns.screening import engine  # noqa: PLC0415 (likewise)
    seller, alone, screened = Seller.objects.get(pk=1), [], []
    for number in range(pairs):
        _kind, model, picture_bytes = sample[number % len(sample)]
        fields = {"seller": seller, "title": model.title, "description": model.description, "category": "shoes",
                  "price": model.price, "status": "pending", "attributes": model.attributes}
        for side in ((0, 1) if number % 2 else (1, 0)):
            t0 = time.perf_counter()
            with transaction.atomic():
                listing = Listing.objects.create(external_id=f"{run}-p{number}-{side}", **fields)
                if side:
                    verdict = engine.screen(listing, picture_bytes)
                    screening = Screening.objects.create(listing=listing, trigger=ScreeningTrigger.CREATED,
                                                         outcome=verdict.outcome, screened_at=now,
                                                         image_hash=verdict.image_hash)
                    ScreeningHit.objects.bulk_create([ScreeningHit(
                        screening=screening, rule=hit.rule, outcome=hit.outcome, right_id=hit.right_id,
                        term=hit.term, field=hit.field, fingerprint_id=hit.fingerprint_id, measure=hit.measure)
                        for hit in verdict.hits])
            (screened if side else alone).append(1000 * (time.perf_counter() - t0))
    result["create_vs_screened_ms"] = {"insert_alone": harness.summary_ms(alone, 2),
                                       "insert_screen_record": harness.summary_ms(screened, 2),
                                       "ratio_of_medians": round(statistics.median(screened)
                                                                 / statistics.median(alone), 2)}
    harness.log(f"create vs create+screen: {result['create_vs_screened_ms']}")


def measure(args: argparse.Namespace) -> dict:
    from django.utils import timezone  # noqa: PLC0415 (Django is set up by main() first)

    from takedowns.models import Listing  # noqa: PLC0415 (likewise)
    result: dict = {"machine": harness.machine_info(), "git_head": harness.git_head(), "uptime_start": harness.uptime(),
                    "args": vars(args)}
    started = time.perf_counter()
    prepare(args, result)
    chooser, now, run, wrong = random.Random(14), timezone.now(), f"R{int(time.time())}", []
    planted = plant(chooser, now)
    result["setup_seconds"] = round(time.perf_counter() - started)
    sample = make_listings(args.listings, chooser, planted, run + "-s")
    per_listing(sample, result, wrong)
    burst_kinds = ("clean", "plain_brand", "clean", "clean", "disguised_brand")
    bursts(make_listings(args.burst, chooser, planted, run + "-b", kinds=burst_kinds), args.batch, result, wrong)
    insert_pairs(sample, args.pairs, run, now, result)
    Listing.objects.filter(external_id__startswith=run).update(status="removed")  # not reused by the next run
    result["uptime_end"] = harness.uptime()
    result["wrong_verdicts"] = wrong
    result["ok"] = not wrong
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="bench_engine")
    parser.add_argument("--terms", type=int, default=100_000)
    parser.add_argument("--fingerprints", type=int, default=1_000_000)
    parser.add_argument("--listings", type=int, default=2000)
    parser.add_argument("--burst", type=int, default=5000)
    parser.add_argument("--pairs", type=int, default=400)
    parser.add_argument("--batch", type=int, default=100, help="listings per screen_many call in the burst")
    parser.add_argument("--reuse", action="store_true", help="keep the database, and use it if it is there")
    parser.add_argument("--smoke", action="store_true", help="10,000 fingerprints, 200 listings, a burst of 500")
    args = parser.parse_args()
    if args.smoke:
        args.fingerprints, args.listings, args.burst, args.pairs = 10_000, 200, 500, 40
    harness.setup_django(harness.production_env(args.db))
    with harness.in_process_settings(f"bench-screening-{harness.new_run_id()}-"):
        result = measure(args)
    path = harness.OUT / f"screening-{time.strftime('%Y%m%d-%H%M%S')}.json"
    harness.write_json(path, result)
    harness.log(f"results: {harness.shown(path)}")
    if not args.reuse:
        pg.drop_database(args.db)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
