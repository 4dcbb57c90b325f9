"""Forms of the documents area: revoking a certificate, choosing a summary report."""

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from antt.web.forms import sort_unit_choices
from certification.forms.assessments import RevokeForm
from units.models import Unit


class RevokeCertificateForm(RevokeForm):
    """Revoking from the decision's certificate list: the same revocation decision."""


class SummaryReportForm(forms.Form):
    unit = forms.ModelChoiceField(label=_("Commune or province"), queryset=Unit.objects.none())
    year = forms.IntegerField(label=_("Year"), min_value=2012, max_value=2100)

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units if units is not None else Unit.objects.none()
        sort_unit_choices(self.fields["unit"], first=lambda u: u.depth)  # the province first
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
