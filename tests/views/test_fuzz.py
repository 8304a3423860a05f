"""No server error on hostile input, anywhere (issue 10, item 7): tests/fuzzing.py sends generated
values to every form and query parameter of the site, seeded (derandomize) and bounded (max_examples
per page, a deadline per request). On SQLite here, on PostgreSQL when DATABASE_URL is set (and in
tests/integration/test_fuzz_postgres.py)."""

import time

import pytest

from tests import fuzzing

pytestmark = pytest.mark.django_db

# At least this many generated hostile values per run (issue 10: "0 server errors over at least 10,000").
MIN_HOSTILE_VALUES = 10_000


def test_no_page_or_form_answers_hostile_input_with_a_server_error(now, catalogue, reviewers, lead, capsys, settings):
    fuzzing.counted_never_refused(settings)
    world = fuzzing.build_world(now, reviewers, lead)
    visitors = fuzzing.visitors_for(world)
    total, failures = fuzzing.Tally(), []
    for target in fuzzing.all_targets(world):
        tally, started = fuzzing.Tally(), time.monotonic()
        try:
            fuzzing.fuzz(target, visitors, tally)
        except AssertionError as exc:
            failures.append(str(exc).splitlines()[0][:2000])
            with capsys.disabled():
                print(f"\n  FAILED {failures[-1]}", end="")
        total.merge(tally)
        with capsys.disabled():
            print(f"\n  fuzz {target.name}: {tally} ({time.monotonic() - started:.1f} s)", end="")
    with capsys.disabled():
        print(f"\n  fuzz, all pages and forms: {total}")
    assert failures == []
    assert total.hostile >= MIN_HOSTILE_VALUES
    assert not any(code >= 500 for code in total.statuses)
