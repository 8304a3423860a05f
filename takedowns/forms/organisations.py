"""Forms of organisations without a portal account (issue 15): the public registration, the private page's API
key and webhook endpoint forms, and the leads' reasons. Validation only; workflow/organisations.py acts."""

import ipaddress
import re
from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from takedowns.api_keys import address_at_domain
from takedowns.enums import ApiScope, Language, SubmitterRole
from takedowns.forms.public import CountryChoiceField, _blank_choice
from takedowns.forms.registry import RejectRightForm
from takedowns.risk import free_mail_domains

# A host name of at least two labels, each 1-63 letters, digits or hyphens (not at either end), the last letters
# only: what an e-mail domain is once IDNA-encoded (xn--…).
_DOMAIN = re.compile(r"^(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$")
# The only hosts a webhook may reach over plain http, and only under DEBUG (the demo's local receiver).
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def clean_domain(text: str) -> str:
    """The e-mail domain, lower case and IDNA-encoded; "@brand.example" and "www." typed before it are forgiven.
    Refused: not a domain, or a free-mail domain (anyone can have an address there: it proves nothing)."""
    domain = text.strip().lower().lstrip("@").rstrip(".")
    if "://" in domain or "/" in domain or "@" in domain:
        raise ValidationError(gettext("Give only the domain of your e-mail addresses, e.g. brandguard.example — not "
                                      "a web address or an e-mail address."))
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValidationError(gettext("“%(domain)s” is not a domain name.") % {"domain": text.strip()[:80]}) from None
    if not _DOMAIN.match(domain):
        raise ValidationError(gettext("“%(domain)s” is not a domain name such as brandguard.example.") % {
            "domain": text.strip()[:80]})
    if domain in free_mail_domains():
        raise ValidationError(gettext("%(domain)s is a free e-mail service: anyone can have an address there, so it "
                                      "cannot show who you are. Give your organisation's own domain.") % {
            "domain": domain})
    return domain


class OrganisationForm(forms.Form):
    """Registering an organisation without an account (issue 15, point 1)."""

    submission_key = forms.UUIDField(widget=forms.HiddenInput)
    name = forms.CharField(label=_("Organisation name"), max_length=200,
                           help_text=_("As it appears on your authorisations, e.g. “BrandGuard Services Ltd”."))
    domain = forms.CharField(label=_("E-mail domain"), max_length=253,
                             help_text=_("The domain of your organisation's e-mail addresses, e.g. brandguard.example. "
                                         "Notices you file through the API or CSV come from addresses there."))
    contact_name = forms.CharField(label=_("Contact person"), max_length=200)
    contact_email = forms.EmailField(label=_("Contact e-mail address"), max_length=254,
                                     help_text=_("An address at the domain above: the confirmation link goes there, "
                                                 "which proves that you control the domain."))
    country = CountryChoiceField(label=_("Country"), choices=lambda: _blank_choice(_("Choose the country…"), countries))
    role = forms.ChoiceField(label=_("You are"), choices=SubmitterRole.choices, widget=forms.RadioSelect)
    language = forms.ChoiceField(label=_("Language for our messages"), choices=Language.choices, initial=Language.EN)

    def clean_domain(self) -> str:
        return clean_domain(self.cleaned_data.get("domain") or "")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        domain, email = data.get("domain"), data.get("contact_email")
        if domain and email and not address_at_domain(email, domain):
            self.add_error("contact_email", gettext(
                "%(email)s is not at %(domain)s: the confirmation must go to an address at the domain you register "
                "(a subdomain such as legal.%(domain)s is fine).") % {"email": email, "domain": domain})
        return data

    def organisation_fields(self) -> dict[str, Any]:
        """The Organisation model fields, for workflow.organisations.register."""
        data = self.cleaned_data
        return {"name": data["name"].strip(), "domain": data["domain"], "contact_name": data["contact_name"].strip(),
                "contact_email": data["contact_email"].strip(), "country": data["country"], "role": data["role"],
                "language": data["language"]}


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=_("Name of the key"), max_length=100,
                           help_text=_("Where it is used, e.g. “production” or “monitoring tool”."))
    scopes = forms.MultipleChoiceField(
        label=_("What the key may do"), choices=ApiScope.choices, widget=forms.CheckboxSelectMultiple,
        initial=[ApiScope.FILE, ApiScope.READ],
        error_messages={"required": _("Tick at least one: file notices, read notices, or both.")})


def check_webhook_url(url: str, debug: bool) -> None:
    """An endpoint must be https (the deliveries carry case data and a signature), with a host name or a public
    address. Only the demo (DEBUG) may use plain http, and only to this machine (127.0.0.1, localhost)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    local = host in LOCAL_HOSTS
    if parts.scheme == "http" and not (debug and local):
        raise ValidationError(gettext("Use an https:// address: webhooks carry your cases' data and are sent only "
                                      "over an encrypted connection."))
    if parts.scheme not in ("http", "https") or not host:
        raise ValidationError(gettext("Give the full https:// address of your endpoint."))
    if parts.username or parts.password:
        raise ValidationError(gettext("Leave the user name and password out of the address: every delivery is "
                                      "signed with the endpoint's secret instead."))
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    internal = local or (address is not None and not address.is_global)
    if internal and not (debug and local):
        raise ValidationError(gettext("%(host)s is not a public address: we can deliver only to your servers on the "
                                      "internet.") % {"host": host})


class WebhookEndpointForm(forms.Form):
    url = forms.URLField(label=_("Endpoint address"), max_length=500, assume_scheme="https",
                         help_text=_("An https:// address of yours that accepts POST requests, e.g. "
                                     "https://hooks.brandguard.example/takedowns."))

    def clean_url(self) -> str:
        url = self.cleaned_data.get("url") or ""
        check_webhook_url(url, settings.DEBUG)
        return url


class OrganisationReasonsForm(RejectRightForm):
    """A lead's reasons for rejecting or suspending an organisation: e-mailed to its contact as written."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reasons"].label = _("Reasons (sent to the organisation's contact)")
        self.fields["reasons"].error_messages["required"] = _("Give the reasons: the organisation is told them.")
