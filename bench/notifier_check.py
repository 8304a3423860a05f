"""The notifier misuse reads on a kept dashboard-bench database (issue 11, item 2): `bench/notifier_check
[--db bench_dash_300k]`, after `bench/dashboard --sizes 300000 --keep`. Times, in-process with the
production settings, the threshold check the beat runs (selectors/notifiers.crossing) with none, one and
two reason codes marked manifestly unfounded, the report's notifier section, confirmation's suspension
check and the tracking page's measures. The codes are marked in a transaction that is rolled back: the
database is left as it was. Results: bench/RESULTS.md, "Notifier misuse check"."""

import argparse
import statistics
import sys
import time
from collections.abc import Callable

import harness

MARKED = ([], ["no-use-of-right"], ["no-use-of-right", "registration-mismatch"])


def median_ms(call: Callable[[], object], times: int) -> tuple[float, int, object]:
    """The median time of `times` calls, the queries of the last one and its result."""
    from django.db import connection, reset_queries  # noqa: PLC0415 (Django is set up by main() first)
    spent, result = [], None
    for _ in range(times):
        reset_queries()
        started = time.perf_counter()
        result = call()
        spent.append(1000 * (time.perf_counter() - started))
    return statistics.median(spent), len(connection.queries), result


def measure() -> None:
    from django.db import transaction  # noqa: PLC0415 (Django is set up by main() first)
    from django.db.models import Max  # noqa: PLC0415 (likewise)
    from django.utils import timezone  # noqa: PLC0415 (likewise)

    from takedowns import notifier_ladder  # noqa: PLC0415 (likewise)
    from takedowns.models import Decision, ReasonCode  # noqa: PLC0415 (likewise)
    from takedowns.reports import transparency  # noqa: PLC0415 (likewise)
    from takedowns.selectors import notifiers  # noqa: PLC0415 (likewise)

    now, policy = Decision.objects.aggregate(last=Max("decided_at"))["last"], notifier_ladder.policy()
    window = notifiers._in_window(policy.window_start(now), now)
    days = policy.threshold.window_days
    harness.log(f"{Decision.objects.count()} decisions, {window.count()} in the {days}-day window")
    with transaction.atomic():
        for codes in MARKED:
            ReasonCode.objects.update(manifestly_unfounded=False)
            ReasonCode.objects.filter(code__in=codes).update(manifestly_unfounded=True)
            ms, queries, found = median_ms(lambda: notifiers.crossing(policy, now), 3)
            unfounded = window.filter(notifiers.UNFOUNDED).count()
            harness.log(f"threshold check, {len(codes)} code(s) marked ({unfounded} unfounded rejections): "
                        f"{ms:.0f} ms, {queries} queries, {len(found)} notifiers crossing")
        transaction.set_rollback(True)
    period = transparency.report_period(f"{timezone.localtime(now):%Y-%m}", timezone.now())
    for name, call, times in (("report's notifier section", lambda: transparency._notifier_measures(period), 5),
                              ("suspension check", lambda: notifiers.suspension_for("a@b.example", now), 20),
                              ("tracking page's measures", lambda: notifiers.measures_concerning("a@b.example", now),
                               20)):
        ms, queries, _ = median_ms(call, times)
        harness.log(f"{name}: {ms:.2f} ms, {queries} queries")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="bench_dash_300k", help="a database kept by bench/dashboard --keep")
    args = parser.parse_args()
    harness.setup_django(harness.production_env(args.db, DEBUG="true"))
    measure()
    return 0


if __name__ == "__main__":
    sys.exit(main())
