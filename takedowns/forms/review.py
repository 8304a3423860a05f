"""The reviewer area's forms: the decision on a notice's listings, escalating and reassigning it,
the queue's filters, a counter-notice's completeness check and an appeal's outcome. Validation
only; the views call one workflow function with what these clean."""

from collections.abc import Iterable
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from takedowns import tdb
from takedowns.enums import DecisionOutcome, InfringementReason, NoticeStatus, RightType
from takedowns.forms.seller import APPEAL_TEXT_MAX
from takedowns.models import NoticeItem, ReasonCode, Reviewer
from takedowns.selectors.queue import QUEUE_RISKS, QUEUE_SCOPES, QUEUE_TRUSTS, QueueFilters
from takedowns.workflow import ItemDecision, Question

NOTE_MAX = 2000
# The Transparency Database takes no longer explanation (tdb.MAX_EXPLANATION), and the seller's statement
# gives the same text: longer grounds would reach the database cut short.
GROUNDS_MAX = tdb.MAX_EXPLANATION
NEEDS_GROUNDS = ("A removal needs its grounds: the seller's statement of reasons gives them as ours. Write why the "
                 "listing infringes, or restore the default text by reloading the page.")
# The decision form's third choice beside the two outcomes: the listing waits for the submitter's answer.
ASK = "ask"
ACTIONS = [*DecisionOutcome.choices, (ASK, _("Ask the submitter"))]
NEEDS_REASON = "A rejection needs a reason code the submitter can act on."
STALE = ("A listing on this form was decided since the page was loaded (or the form was sent twice); nothing "
         "was recorded. Check the listings below and record your decisions again.")


def _choice_field(form: forms.BaseForm, name: str) -> forms.ChoiceField:
    """The form's choice field `name`, to set its choices (Form.fields is typed as plain fields)."""
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField), name
    return field


def _reason_code_field(form: forms.BaseForm, name: str) -> "ReasonCodeField":
    """The form's reason-code field `name`, to give it the codes (Form.fields is typed as plain fields)."""
    field = form.fields[name]
    assert isinstance(field, ReasonCodeField), name
    return field


class CompactForm(forms.Form):
    """Small Bootstrap controls, for the forms laid out in the notice page's table; a field with an
    error is marked invalid and tied to its message's id for screen readers."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if not isinstance(field.widget, forms.HiddenInput):
                select = isinstance(field.widget, forms.Select)
                field.widget.attrs["class"] = ("form-select form-select-sm mb-1" if select
                                               else "form-control form-control-sm")

    def add_error(self, field: str | None, error: Any) -> None:
        super().add_error(field, error)
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                classes = widget.attrs.get("class", "")
                if "is-invalid" not in classes:
                    widget.attrs["class"] = f"{classes} is-invalid".strip()
                widget.attrs["aria-describedby"] = f"{self[name].auto_id}-error"


class ReasonCodeField(forms.TypedChoiceField):
    """One of the active reason codes, cleaned to its ReasonCode row. The rows are read once for the
    whole form (set_codes), not once per listing."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(coerce=int, required=False, empty_value=None, error_messages={
            "invalid_choice": _("This reason code is not one in use; choose one from the list.")}, **kwargs)
        self.codes: dict[int, ReasonCode] = {}

    def set_codes(self, codes: dict[int, ReasonCode]) -> None:
        self.codes = codes
        self.choices = [("", "reason code (for a rejection)"), *((pk, code.title) for pk, code in codes.items())]

    def clean(self, value: Any) -> ReasonCode | None:
        pk = super().clean(value)
        return None if pk is None else self.codes[pk]


class DecisionForm(CompactForm):
    """One listing waiting for the reviewer's decision: the action, a reason code (needed for a
    rejection) and a note to the submitter and the seller. Blank: decided by "apply to all", or
    left for later."""

    item = forms.IntegerField(widget=forms.HiddenInput)
    action = forms.ChoiceField(choices=[("", "— decide —"), *ACTIONS], required=False, error_messages={
        "invalid_choice": _("Choose to remove the listing, reject the report or ask the submitter.")})
    reason_code = ReasonCodeField()
    note = forms.CharField(max_length=NOTE_MAX, required=False, error_messages={
        "max_length": _("Keep the note within %(limit_value)d characters (you wrote %(show_value)d).")})
    # Prefilled with the RemovalGround of the listing's right and reason; only a removal uses it.
    grounds = forms.CharField(max_length=GROUNDS_MAX, required=False, widget=forms.Textarea(attrs={"rows": 4}),
                              error_messages={"max_length": _(
                                  "Keep the grounds within %(limit_value)d characters (you wrote %(show_value)d): "
                                  "the Transparency Database takes no more, and the seller's statement gives the "
                                  "same text.")})

    def __init__(self, *args: Any, items: dict[int, NoticeItem], reason_codes: dict[int, ReasonCode],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.items = items
        _reason_code_field(self, "reason_code").set_codes(reason_codes)
        self.fields["note"].widget.attrs["placeholder"] = _("Note to submitter and seller (optional)")
        position = getattr(self.listing, "position", "")
        # Translators: %(position)s is the listing's number on the notice.
        for name, label in (("action", _("Decision for listing %(position)s")),
                            ("reason_code", _("Reason code for listing %(position)s")),
                            ("note", _("Note for listing %(position)s")),
                            ("grounds", _("Grounds of a removal for listing %(position)s"))):
            self.fields[name].widget.attrs["aria-label"] = label % {"position": position}

    @property
    def listing(self) -> NoticeItem | None:
        """The listing this row decides, as the page showed it (or as the POST names it)."""
        raw = self["item"].value()
        try:
            return self.items.get(int(raw))
        except (TypeError, ValueError):
            return None

    def clean_item(self) -> int:
        item_id = self.cleaned_data["item"]
        if item_id not in self.items:
            raise ValidationError(_("This listing no longer waits for a decision; reload the page."))
        return item_id


class BaseDecisionFormSet(forms.BaseFormSet):
    def __init__(self, *args: Any, items: Iterable[NoticeItem], reason_codes: Iterable[ReasonCode],
                 grounds: dict[int, str] | None = None, **kwargs: Any) -> None:
        waiting = {item.pk: item for item in items}
        grounds = grounds or {}
        kwargs.setdefault("initial", [{"item": pk, "grounds": grounds.get(pk, "")} for pk in waiting])
        # Every row is checked in full: a tampered INITIAL_FORMS would otherwise make the rows "extra"
        # ones, skipped when unchanged, and leave them without cleaned data.
        kwargs["form_kwargs"] = {"items": waiting, "reason_codes": {code.pk: code for code in reason_codes},
                                 "empty_permitted": False}
        super().__init__(*args, **kwargs)


def decision_formset_class() -> type[BaseDecisionFormSet]:
    # A row per listing the page showed; a tampered TOTAL_FORMS cannot make more than a notice holds.
    formset = forms.formset_factory(DecisionForm, formset=BaseDecisionFormSet, extra=0,
                                    max_num=settings.NOTICE_MAX_ITEMS, absolute_max=settings.NOTICE_MAX_ITEMS)
    assert issubclass(formset, BaseDecisionFormSet)  # the stubs type the result as a plain BaseFormSet
    return formset


class DecisionBatchForm(CompactForm):
    """The fields under the listings: "apply to all undecided listings" and the question to the submitter."""

    all_action = forms.ChoiceField(
        label=_("Apply to all undecided listings"), choices=[("", "—"), *ACTIONS], required=False,
        error_messages={"invalid_choice": _("Choose to remove the listings, reject the reports or ask the submitter.")})
    all_reason_code = ReasonCodeField()
    question = forms.CharField(
        label=_("Question to the submitter (for listings set to “Ask the submitter”)"), max_length=5000,
        required=False, widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"max_length": _("Keep the question within %(limit_value)d characters "
                                        "(you wrote %(show_value)d).")})

    def __init__(self, *args: Any, reason_codes: Iterable[ReasonCode], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _reason_code_field(self, "all_reason_code").set_codes({code.pk: code for code in reason_codes})
        self.fields["all_reason_code"].widget.attrs["aria-label"] = _("Reason code for all")


class ReviewForm:
    """The decision form of the notice page: a DecisionForm per listing waiting for a decision, and
    the batch fields. Valid when every row and the batch are, at least one listing is decided or
    asked about, every rejection has a reason code, and a question goes with every "ask"."""

    def __init__(self, items: list[NoticeItem], reason_codes: Iterable[ReasonCode], data: Any = None,
                 grounds: dict[int, str] | None = None) -> None:
        """`grounds`: each listing's default grounds of a removal (selectors.notices.removal_grounds_for),
        prefilled in its row."""
        reason_codes = list(reason_codes)
        self.rows = decision_formset_class()(data, prefix="item", items=items, reason_codes=reason_codes,
                                             grounds=grounds)
        self.batch = DecisionBatchForm(data, reason_codes=reason_codes)
        self.non_field_errors: list[str] = []
        self._decisions: list[ItemDecision] = []
        self._asked: list[int] = []

    def rows_by_item(self) -> dict[int, DecisionForm]:
        """Each listing's row of the form, by NoticeItem id, for the page to show beside the listing."""
        return {form.listing.pk: form for form in self.rows if form.listing is not None}

    def is_valid(self) -> bool:
        rows_valid, batch_valid = self.rows.is_valid(), self.batch.is_valid()
        self.non_field_errors += [str(error) for error in self.rows.non_form_errors()]
        if any(form.listing is None for form in self.rows):
            # A row for a listing the page no longer shows: it was decided (a resent form, another tab).
            self.non_field_errors.append(STALE)
        if rows_valid and batch_valid:
            self._combine()
        return rows_valid and batch_valid and not self._has_errors()

    def _has_errors(self) -> bool:
        return bool(self.non_field_errors or self.batch.errors or any(form.errors for form in self.rows))

    def _combine(self) -> None:
        """Each row's own choice, or "apply to all" where the row is blank; then the checks that
        span rows."""
        # Read before any add_error, which drops the field it names from cleaned_data.
        batch = dict(self.batch.cleaned_data)
        for form in self.rows:
            own = dict(form.cleaned_data)
            action = own["action"] or batch["all_action"]
            reason = own["reason_code"] or (None if own["action"] else batch["all_reason_code"])
            if action == DecisionOutcome.REJECT and reason is None:
                if own["action"]:
                    form.add_error("reason_code", NEEDS_REASON)
                elif "all_reason_code" not in self.batch.errors:  # once, however many rows it fills
                    self.batch.add_error("all_reason_code", NEEDS_REASON)
                continue
            grounds = own["grounds"].strip() if action == DecisionOutcome.REMOVE else ""
            if action == DecisionOutcome.REMOVE and not grounds:
                form.add_error("grounds", NEEDS_GROUNDS)
                continue
            if action == ASK:
                self._asked.append(own["item"])
            elif action:
                self._decisions.append(ItemDecision(own["item"], action, reason_code=reason,
                                                    note=own["note"].strip(), grounds=grounds))
        question = batch["question"].strip()
        if not self._decisions and not self._asked and not self._has_errors():
            self.non_field_errors.append(str(_("Choose a decision for at least one listing.")))
        if self._asked and not question:
            self.batch.add_error("question", _("Write the question for the submitter."))
        elif question and not self._asked:
            self.batch.add_error("question", _("Set the listings this question is about to “Ask the submitter”."))

    @property
    def decisions(self) -> list[ItemDecision]:
        return self._decisions

    @property
    def question(self) -> Question | None:
        return Question(self._asked, self.batch.cleaned_data["question"].strip()) if self._asked else None


class EscalateForm(CompactForm):
    note = forms.CharField(
        label=_("Escalate to a lead"), max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Say why the notice needs a lead."),
                        "max_length": _("Keep the note within %(limit_value)d characters (you wrote %(show_value)d).")})
    note.widget.attrs["placeholder"] = _("Why does this notice need a lead?")


class ReviewerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Reviewer) -> str:
        return f"{obj.user.get_username()} (load {obj.open_load})"


class ReassignForm(forms.Form):
    reviewer = ReviewerChoiceField(
        label=_("Reassign to"), empty_label=None,
        queryset=Reviewer.objects.filter(is_active=True).select_related("user").order_by("user__username"),
        error_messages={"required": _("Choose the reviewer to hand the notice to."),
                        "invalid_choice": _("Choose an active reviewer to hand the notice to.")})


class CursorForm(forms.Form):
    """`after`: where a page of a keyset-paginated list starts (selectors/keyset.py). Any text is
    accepted; one that does not decode is the first page."""

    after = forms.CharField(max_length=200, required=False)


class QueueFilterForm(CursorForm):
    """The review queue's filters. An unknown value is reported beside its filter, which is then off."""

    # Any status (the select offers the open ones; a link may name another, e.g. withdrawn).
    status = forms.ChoiceField(choices=NoticeStatus.choices, required=False)
    right_type = forms.ChoiceField(choices=RightType.choices, required=False)
    reason = forms.ChoiceField(choices=InfringementReason.choices, required=False)
    scope = forms.ChoiceField(choices=list(QUEUE_SCOPES.items()), required=False)
    trust = forms.ChoiceField(choices=QUEUE_TRUSTS, required=False)
    risk = forms.ChoiceField(choices=QUEUE_RISKS, required=False)

    def filters(self) -> QueueFilters:
        """The filters to apply: each valid one as chosen, the others at their default."""
        self.is_valid()
        chosen = {name: self.cleaned_data.get(name)
                  for name in ("status", "right_type", "reason", "scope", "trust", "risk")}
        return QueueFilters(**{name: value for name, value in chosen.items() if value})


class CounterNoticeFilterForm(CursorForm):
    status = forms.ChoiceField(required=False)

    def __init__(self, *args: Any, statuses: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice_field(self, "status").choices = statuses


class IncompleteForm(forms.Form):
    """A reviewer returns a counter-notice that lacks an element of 512(g)(3), saying which."""

    reason = forms.CharField(
        label=_("What is missing"), max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Say what is missing, so that the seller can correct it."),
                        "max_length": _("Keep it within %(limit_value)d characters (you wrote %(show_value)d).")})


class AppealDecisionForm(forms.Form):
    """The reviewer's outcome of an appeal, with reasons both sides receive."""

    outcome = forms.ChoiceField(
        label=_("Outcome"), widget=forms.RadioSelect,
        choices=[("upheld", _("Uphold the original decision")), ("reversed", _("Reverse the original decision"))],
        error_messages={"required": _("Choose whether the original decision is upheld or reversed."),
                        "invalid_choice": _("Choose whether the original decision is upheld or reversed.")})
    reasons = forms.CharField(
        label=_("Reasons"), max_length=APPEAL_TEXT_MAX, widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Sent to the appellant (and to the submitter when a removal is reversed)."),
        error_messages={"required": _("Write the reasons for the outcome; the appellant receives them."),
                        "max_length": _("Keep the reasons within %(limit_value)d characters "
                                        "(you wrote %(show_value)d).")})
