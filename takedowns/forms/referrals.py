"""The lead's form for a referral package to law enforcement: which seller, for which authority, a note.
Validation only; every message says what is wrong and how to fix it."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from takedowns.models import Seller


class ReferralForm(forms.Form):
    seller = forms.CharField(label=gettext_lazy("Seller ID"), max_length=40, error_messages={
        "required": gettext_lazy("Type the ID of the seller to refer, e.g. S-1.")},
                             help_text=gettext_lazy("The marketplace's seller ID, e.g. S-1."))
    authority = forms.CharField(label=gettext_lazy("For (authority)"), max_length=200, error_messages={
        "required": gettext_lazy("Name the authority that receives the package.")}, help_text=gettext_lazy(
        "Who receives the package, e.g. the police unit, customs office or prosecutor, with their reference."))
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=5000, widget=forms.Textarea(
        attrs={"rows": 3}), help_text=gettext_lazy("Goes into the package's README."))
    include_linked = forms.BooleanField(label=gettext_lazy("Include the seller's linked accounts (same account group)"),
                                        required=False, initial=True)

    def clean_seller(self) -> Seller:
        typed = self.cleaned_data["seller"].strip()
        seller = Seller.objects.filter(external_id__iexact=typed).first()
        if seller is None:
            raise forms.ValidationError(_("No seller has the ID “%(typed)s”: type it as the marketplace shows it, "
                                          "e.g. S-1.") % {"typed": typed[:40]})
        return seller
