"""The seller's forms, on the private statement pages (and the submitter's and the notifier's appeals,
which take the same form): the counter-notice of DMCA 512(g)(3) and the appeal of DSA Art. 20.
Validation only.

The two sworn statements of the counter-notice are binding in English (legal.STATEMENT_MISTAKE and
legal.STATEMENT_JURISDICTION are what the rights holder receives): the form labels them in the page's
language and, when that is not English, shows the English original under each one, marked as the
binding text. What is stored is unchanged: that the seller made both statements, in their English
words."""

from typing import Any

from django import forms
from django.utils.html import format_html
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from takedowns import legal

# The msgids are the English statements of legal.py word for word (a test pins that they are the
# same): translators translate them, and the English original stays beside the translation.
# Translators: a sworn statement of a counter notification under the US DMCA, 17 U.S.C. § 512(g)(3)(C).
# Translate it faithfully; the English original is shown with it and stays binding.
STATEMENT_MISTAKE = _(
    "I swear, under penalty of perjury, that I have a good-faith belief that the material identified above "
    "was removed or disabled as a result of a mistake or misidentification of the material to be removed or "
    "disabled."
)
# Translators: a sworn statement of a counter notification under the US DMCA, 17 U.S.C. § 512(g)(3)(D).
# Translate it faithfully; the English original is shown with it and stays binding.
STATEMENT_JURISDICTION = _(
    "I consent to the jurisdiction of the Federal District Court for the judicial district in which my address "
    "is located or, if my address is outside the United States, for any judicial district in which the "
    "marketplace may be found, and I will accept service of process from the person who provided the "
    "notification of the alleged infringement or an agent of such person."
)
ENGLISH_ORIGINALS = {"statement_mistake": legal.STATEMENT_MISTAKE, "consent_jurisdiction": legal.STATEMENT_JURISDICTION}


def english_original(text: str) -> str:
    """The English original of a sworn statement, marked as the binding text, for under its translation."""
    return format_html('<span class="fw-semibold">{}</span> <span lang="en">{}</span>',
                       # Translators: before the English text of a sworn statement, the legally binding one.
                       gettext("English original (binding):"), text)


class CounterNoticeForm(forms.Form):
    """Every element of 512(g)(3), with an error of its own for each one missing."""

    material = forms.CharField(
        label=_("The removed listing and where it appeared"), max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Filled in for you; correct it if it does not identify the listing and its address."),
        error_messages={"required": _("Identify the removed listing and where it appeared before it was removed.")})
    explanation = forms.CharField(
        label=_("Why the removal was a mistake or a misidentification"), max_length=10000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("The rights holder reads this. For example: the goods are genuine and bought from the brand's "
                    "distributor; the images are your own photographs."),
        error_messages={"required": _("Explain why you believe the listing was removed by mistake or "
                                      "misidentification.")})
    statement_mistake = forms.BooleanField(label=STATEMENT_MISTAKE, error_messages={
        "required": _("Make the statement under penalty of perjury: without it this is not a counter-notice.")})
    consent_jurisdiction = forms.BooleanField(label=STATEMENT_JURISDICTION, error_messages={
        "required": _("Consent to the court's jurisdiction and to accept service: the law requires it for a "
                      "counter-notice.")})
    full_name = forms.CharField(label=_("Your full name"), max_length=200, error_messages={
        "required": _("Enter your full name: the person making the statements above.")})
    address = forms.CharField(label=_("Postal address"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3}),
                              error_messages={"required": _("Enter your postal address, with the country.")})
    phone = forms.CharField(label=_("Telephone number"), max_length=40, error_messages={
        "required": _("Enter a telephone number where you can be reached.")})
    # 254 characters: what the column (and SMTP) holds; Django's EmailField would take up to 320.
    email = forms.EmailField(label=_("E-mail address"), max_length=254, error_messages={
        "required": _("Enter your e-mail address: we write to you there about this counter-notice."),
        "invalid": _("Enter a valid e-mail address, such as name@example.com."),
        "max_length": _("An e-mail address has at most %(limit_value)d characters; this one has %(show_value)d.")})
    signature = forms.CharField(
        label=_("Electronic signature"), max_length=200,
        help_text=_("Type your full name again, exactly as above: this signs the counter-notice."),
        error_messages={"required": _("Sign the counter-notice: type your full name again.")})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The English original under each translated statement (the page is rendered in the language
        # active now); in English the label is the original itself.
        self.shows_english_original = not (get_language() or "en").startswith("en")
        if self.shows_english_original:
            for name, original in ENGLISH_ORIGINALS.items():
                self.fields[name].help_text = english_original(original)

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        full_name, signature = cleaned.get("full_name"), cleaned.get("signature")
        if full_name and signature and not legal.signature_matches(full_name, signature):
            self.add_error("signature", gettext(
                "The signature must be your full name exactly as typed above (“%(full_name)s”); you typed "
                "“%(signature)s”.") % {"full_name": full_name, "signature": signature})
        return cleaned

    def counter_notice_fields(self) -> dict:
        """The CounterNotice fields, for workflow.counter_notices.file_counter_notice."""
        return {name: self.cleaned_data[name] for name in self.fields}


APPEAL_TEXT_MAX = 5000


class AppealForm(forms.Form):
    """An appeal against a decision (DSA Art. 20): the appellant's words, on their private page."""

    text = forms.CharField(
        label=_("Why the decision is wrong"), min_length=20, max_length=APPEAL_TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Say what the reviewer got wrong and what shows it; the reviewer of your appeal reads only this."),
        error_messages={
            "required": _("Write why you think the decision is wrong."),
            "min_length": _("Explain why the decision is wrong in at least %(limit_value)d characters "
                            "(you wrote %(show_value)d)."),
            "max_length": _("Keep your appeal within %(limit_value)d characters (you wrote %(show_value)d)."),
        })


class NotifierAppealForm(AppealForm):
    """The notifier's appeal against a measure about their notices (DSA Art. 20): the appeal form, in
    the words of a measure."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["text"].label = _("Why the measure is wrong")
        self.fields["text"].help_text = _("Say what the figures or our reasons get wrong, and what shows it: a lead "
                                          "who took no part in the decision reads this.")
