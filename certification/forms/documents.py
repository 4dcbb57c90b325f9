"""Forms of the documents area: revoking a certificate, choosing a summary report."""

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from antt.text import nfc
from units.models import Unit


class RevokeCertificateForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    reference = forms.CharField(
        label=_("Revoking decision (number and date)"),
        max_length=200,
        help_text=_("Number, symbol and date, e.g. 15/QD-UBND of 01/12/2026"),
    )

    def clean_reason(self) -> str:
        value = nfc(self.cleaned_data["reason"])
        if not value:
            raise forms.ValidationError(_("Give the reason for the revocation."))
        return value

    def clean_reference(self) -> str:
        value = nfc(self.cleaned_data["reference"])
        if not value:
            raise forms.ValidationError(_("Give the reference of the revoking decision."))
        return value


class SummaryReportForm(forms.Form):
    unit = forms.ModelChoiceField(label=_("Commune or province"), queryset=Unit.objects.none())
    year = forms.IntegerField(label=_("Year"), min_value=2012, max_value=2100)

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units if units is not None else Unit.objects.none()
        self.fields["unit"].error_messages["invalid_choice"] = _(
            "Choose a commune or province from the list."
        )
        self.fields["year"].initial = timezone.localdate().year


class PdfUploadForm(forms.Form):
    """One PDF file, at most ``SIGNED_PDF_MAX_BYTES``: the signed decision or a PDF to check."""

    file = forms.FileField(label=_("PDF file"))

    def clean_file(self) -> bytes:
        upload = self.cleaned_data["file"]
        if upload.size > settings.SIGNED_PDF_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is too large (at most %(size)s).")
                % {"size": filesizeformat(settings.SIGNED_PDF_MAX_BYTES)}
            )
        data = upload.read()
        if not data[:1024].lstrip().startswith(b"%PDF-"):
            raise forms.ValidationError(_("The file is not a PDF."))
        return data
