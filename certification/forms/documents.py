"""Forms of the documents area: revoking a certificate, choosing a summary report."""

from django import forms
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
