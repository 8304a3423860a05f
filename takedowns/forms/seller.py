"""The seller's forms, on the private statement pages (and the submitter's and the notifier's appeals,
which take the same form): the counter-notice of DMCA 512(g)(3) and the appeal of DSA Art. 20.
Validation only."""

from typing import Any

from django import forms

from takedowns import legal


class CounterNoticeForm(forms.Form):
    """Every element of 512(g)(3), with an error of its own for each one missing."""

    material = forms.CharField(
        label="The removed listing and where it appeared", max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Filled in for you; correct it if it does not identify the listing and its address.",
        error_messages={"required": "Identify the removed listing and where it appeared before it was removed."})
    explanation = forms.CharField(
        label="Why the removal was a mistake or a misidentification", max_length=10000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="The rights holder reads this. For example: the goods are genuine and bought from the brand's "
                  "distributor; the images are your own photographs.",
        error_messages={"required": "Explain why you believe the listing was removed by mistake or misidentification."})
    statement_mistake = forms.BooleanField(label=legal.STATEMENT_MISTAKE, error_messages={
        "required": "Make the statement under penalty of perjury: without it this is not a counter-notice."})
    consent_jurisdiction = forms.BooleanField(label=legal.STATEMENT_JURISDICTION, error_messages={
        "required": "Consent to the court's jurisdiction and to accept service: the law requires it for a "
                    "counter-notice."})
    full_name = forms.CharField(label="Your full name", max_length=200, error_messages={
        "required": "Enter your full name: the person making the statements above."})
    address = forms.CharField(label="Postal address", max_length=1000, widget=forms.Textarea(attrs={"rows": 3}),
                              error_messages={"required": "Enter your postal address, with the country."})
    phone = forms.CharField(label="Telephone number", max_length=40, error_messages={
        "required": "Enter a telephone number where you can be reached."})
    # 254 characters: what the column (and SMTP) holds; Django's EmailField would take up to 320.
    email = forms.EmailField(label="E-mail address", max_length=254, error_messages={
        "required": "Enter your e-mail address: we write to you there about this counter-notice.",
        "invalid": "Enter a valid e-mail address, such as name@example.com.",
        "max_length": "An e-mail address has at most %(limit_value)d characters; this one has %(show_value)d."})
    signature = forms.CharField(
        label="Electronic signature", max_length=200,
        help_text="Type your full name again, exactly as above: this signs the counter-notice.",
        error_messages={"required": "Sign the counter-notice: type your full name again."})

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        full_name, signature = cleaned.get("full_name"), cleaned.get("signature")
        if full_name and signature and not legal.signature_matches(full_name, signature):
            self.add_error("signature", f"The signature must be your full name exactly as typed above "
                                        f"(“{full_name}”); you typed “{signature}”.")
        return cleaned

    def counter_notice_fields(self) -> dict:
        """The CounterNotice fields, for workflow.counter_notices.file_counter_notice."""
        return {name: self.cleaned_data[name] for name in self.fields}


APPEAL_TEXT_MAX = 5000


class AppealForm(forms.Form):
    """An appeal against a decision (DSA Art. 20): the appellant's words, on their private page."""

    text = forms.CharField(
        label="Why the decision is wrong", min_length=20, max_length=APPEAL_TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Say what the reviewer got wrong and what shows it; the reviewer of your appeal reads only this.",
        error_messages={
            "required": "Write why you think the decision is wrong.",
            "min_length": "Explain why the decision is wrong in at least %(limit_value)d characters "
                          "(you wrote %(show_value)d).",
            "max_length": "Keep your appeal within %(limit_value)d characters (you wrote %(show_value)d).",
        })


class NotifierAppealForm(AppealForm):
    """The notifier's appeal against a measure about their notices (DSA Art. 20): the appeal form, in
    the words of a measure."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["text"].label = "Why the measure is wrong"
        self.fields["text"].help_text = ("Say what the figures or our reasons get wrong, and what shows it: a lead "
                                         "who took no part in the decision reads this.")
