"""The leads' inputs: the dashboard's period and the decision ids of a Transparency Database
export. Validation only; every message says what is wrong and how to write it."""

import re
from datetime import date, timedelta
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from takedowns import tdb
from takedowns.forms.review import AppealDecisionForm
from takedowns.reports.periods import Period

DEFAULT_DAYS = 30
# Long enough for a year's trend, short enough that a week-by-week chart stays readable.
MAX_DAYS = 366
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
MAX_ID = 2 ** 63 - 1  # the largest BigAutoField
EARLIEST = date(2000, 1, 1)


def _day(raw: str, first: bool) -> date:
    """The day typed in the "from" (`first`) or the "to" field."""
    if not _ISO_DATE.fullmatch(raw):
        if first:
            # Translators: YYYY-MM-DD is the format to type; keep it and the example as they are.
            message = _("“%(raw)s” is not a date: write the first day as YYYY-MM-DD, e.g. 2026-11-01.")
        else:
            # Translators: YYYY-MM-DD is the format to type; keep it and the example as they are.
            message = _("“%(raw)s” is not a date: write the last day as YYYY-MM-DD, e.g. 2026-11-01.")
        raise ValidationError(message % {"raw": raw[:40]})
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise ValidationError(_("%(raw)s is not a day of the calendar: check the month and the day.")
                              % {"raw": raw}) from None
    if day < EARLIEST:
        # Nothing happened before it, and a day near year 1 would overflow the period's arithmetic.
        message = (_("%(raw)s is before %(earliest)s: choose the first day from then on.") if first
                   else _("%(raw)s is before %(earliest)s: choose the last day from then on."))
        raise ValidationError(message % {"raw": raw, "earliest": EARLIEST})
    return day


class PeriodForm(forms.Form):
    """?from=YYYY-MM-DD&to=YYYY-MM-DD, both days included; by default the last 30 days up to
    `today`. What was typed is kept, to show it back beside the error that says what is wrong."""

    def __init__(self, data: QueryDict, today: date, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        # "from" is a Python keyword, so the two fields are added here rather than declared.
        # Labelled as the page names them: an error names the field by its label, never "from" or "to".
        self.fields["from"] = forms.CharField(label=gettext_lazy("From"), required=False, strip=True)
        self.fields["to"] = forms.CharField(label=gettext_lazy("To (included)"), required=False, strip=True)
        self.today = today
        self.period: Period | None = None

    def clean_to(self) -> date:
        raw = self.cleaned_data["to"]
        return _day(raw, first=False) if raw else self.today

    def clean_from(self) -> str:
        return self.cleaned_data["from"]  # read against "to" in clean(), which is cleaned after it

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        raw_from, last = cleaned.get("from"), cleaned.get("to")
        try:
            first = _day(raw_from, first=True) if raw_from else (last or self.today) - timedelta(days=DEFAULT_DAYS - 1)
        except ValidationError as exc:
            self.add_error("from", exc)
            return cleaned
        if last is None:
            return cleaned
        length = (last - first).days + 1
        if first > last:
            raise ValidationError(_("The period starts (%(first)s) after it ends (%(last)s): swap the two dates.")
                                  % {"first": first, "last": last})
        if first > self.today:
            raise ValidationError(_("The period starts after today (%(today)s): there is nothing to show yet.")
                                  % {"today": self.today})
        if length > MAX_DAYS:
            raise ValidationError(_("The period is %(length)d days long; choose at most %(limit)d days.")
                                  % {"length": length, "limit": MAX_DAYS})
        self.period = Period(first, last)
        return cleaned

    def _shown(self, name: str) -> str:
        """The value to show in the field: the period chosen, or what was typed."""
        if self.period is not None:
            return (self.period.first if name == "from" else self.period.last).isoformat()
        return str(self.data.get(name, "")).strip()

    @property
    def shown_from(self) -> str:
        return self._shown("from")

    @property
    def shown_to(self) -> str:
        return self._shown("to")

    @property
    def invalid_fields(self) -> set[str]:
        """The fields to mark: those with an error, and both when the period as a whole has one."""
        return {"from", "to"} if NON_FIELD_ERRORS in self.errors else set(self.errors)

    @property
    def error_items(self) -> list[tuple[str, str]]:
        """(field, message) pairs; errors of the period as a whole are named "period"."""
        return [("period" if name == "__all__" else name, str(message))
                for name, messages in self.errors.items() for message in messages]

    @property
    def query(self) -> str:
        query = QueryDict(mutable=True)
        query.update({"from": self.shown_from, "to": self.shown_to})
        return query.urlencode()


class TdbIdsForm(forms.Form):
    """?ids=1,2,3: the distinct decision ids to export, in the order given, at most one TDB batch."""

    ids = forms.CharField(label=gettext_lazy("Decision ids"), required=False, max_length=2000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["ids"].error_messages["max_length"] = _(
            "Too long a list: give at most %(limit)d decision ids per export.") % {"limit": tdb.BATCH_LIMIT}

    def clean_ids(self) -> list[int]:
        parts = [part.strip() for part in self.cleaned_data["ids"].split(",")]
        if not any(parts):
            # Translators: ?ids=1,2,3 is part of the address; keep it as it is.
            raise ValidationError(_("Give the decision ids to export, e.g. ?ids=1,2,3."))
        ids: list[int] = []
        for part in parts:
            # An id the database cannot hold (over 2^63 - 1) is no decision's either: SQLite would fail on it.
            if not part.isascii() or not part.isdigit() or not 0 < int(part) <= MAX_ID:
                # Translators: ?ids=1,2,3 is part of the address; keep it as it is.
                raise ValidationError(_("'%(part)s' is not a decision id: give whole numbers separated by commas, "
                                        "e.g. ?ids=1,2,3.") % {"part": part[:40]})
            if int(part) not in ids:
                ids.append(int(part))
        if len(ids) > tdb.BATCH_LIMIT:
            raise ValidationError(_("%(count)d decisions asked for; the Transparency Database takes at most "
                                    "%(limit)d statements per submission.")
                                  % {"count": len(ids), "limit": tdb.BATCH_LIMIT})
        return ids


STATEMENT_MAX = 5000


class NotifierMeasureForm(forms.Form):
    """A lead's statement of reasons for the measure the notifier misuse ladder calls for."""

    statement = forms.CharField(
        label=gettext_lazy("Statement of reasons"), min_length=20, max_length=STATEMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy("Sent to the notifier with the figures. Weigh the number of manifestly unfounded "
                               "notices, their share, their gravity and the notifier's apparent intent "
                               "(DSA Art. 23(3))."),
        error_messages={
            "required": gettext_lazy("Write the statement of reasons: the notifier receives it."),
            "min_length": gettext_lazy("Give the notifier your reasons in at least %(limit_value)d characters (you "
                                       "wrote %(show_value)d)."),
            "max_length": gettext_lazy("Keep the statement within %(limit_value)d characters (you wrote "
                                       "%(show_value)d).")})


class NotifierDismissForm(forms.Form):
    """A lead's reasons for taking no measure on a proposal."""

    reasons = forms.CharField(
        label=gettext_lazy("Why no measure is called for"), max_length=STATEMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Kept with the case; the notifier is not told, as nothing happens to them."),
        error_messages={
            "required": gettext_lazy("Write why no measure is called for: the case keeps your reasons."),
            "max_length": gettext_lazy("Keep the reasons within %(limit_value)d characters (you wrote "
                                       "%(show_value)d).")})


class NotifierAppealDecisionForm(AppealDecisionForm):
    """A lead's outcome of a notifier's appeal, with reasons the notifier receives."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        outcome, reasons = self.fields["outcome"], self.fields["reasons"]
        assert isinstance(outcome, forms.ChoiceField)  # declared so by AppealDecisionForm
        outcome.choices = [("upheld", _("Uphold the measure")), ("reversed", _("Reverse the measure and lift it"))]
        reasons.help_text = _("Sent to the notifier, at every address the measure was sent to.")
