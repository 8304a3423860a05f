"""The log-in (user name and password), its second step and the enrolment of an authenticator: one
code each. Validation only; whether the code is right is for takedowns/two_factor.py, which the view
asks."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


class LoginForm(AuthenticationForm):
    """Django's log-in form, which sets the user name's maximum length only as an HTML attribute: a
    longer name went on to authenticate(), and django-axes' record of the failure (a 255-character
    column) broke on PostgreSQL with a server error. A name no account can have is refused here."""

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        limit = self.username_field.max_length or 254  # as Django's form reads it
        if len(username) > limit:
            raise forms.ValidationError(_("A user name has at most %(limit)d characters; this one has %(length)d.")
                                        % {"limit": limit, "length": len(username)}, code="max_length")
        return username


class CodeForm(forms.Form):
    """A six-digit code of the authenticator app, or one of the recovery codes."""

    code = forms.CharField(
        # Translators: the code of an authenticator app (two-factor log-in).
        label=gettext_lazy("Code"), max_length=20, strip=True,
        help_text=gettext_lazy("The six digits your authenticator app shows now, or one of your recovery codes."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}),
        error_messages={"required": gettext_lazy("Type the code your authenticator app shows.")})


class EnrolForm(forms.Form):
    """The first code of a new authenticator, which proves the app has read the key."""

    code = forms.RegexField(
        label=gettext_lazy("Code from the app"), regex=r"^\s*\d{6}\s*$", strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
        error_messages={"required": gettext_lazy("Type the six digits the app shows for this portal."),
                        "invalid": gettext_lazy("Type the six digits the app shows for this portal, e.g. 123456.")})
