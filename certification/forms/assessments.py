"""Forms of the assessment workflow pages. They only parse input; services decide."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from antt.text import nfc
from antt.web.forms import CountField, DateField, DateInput, FileInput, sort_unit_choices
from certification.models import Registration
from units.models import Unit

DATE = DateInput()


class RegistrationForm(forms.Form):
    campaign = forms.ModelChoiceField(label=_("Campaign"), queryset=None)
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=None)
    registered_on = DateField(label=_("Registered on"), widget=DATE, initial=timezone.localdate)
    households_total = CountField(
        label=_("Households"), min_value=0, required=False, help_text=_("Residential areas only.")
    )
    households_registered = CountField(
        label=_("Households registered"), min_value=0, required=False, help_text=_("Residential areas only.")
    )
    resolution_ref = forms.CharField(
        label=Registration._meta.get_field("resolution_ref").verbose_name, max_length=200, required=False
    )
    plan_ref = forms.CharField(
        label=Registration._meta.get_field("plan_ref").verbose_name, max_length=200, required=False
    )
    pledge_ref = forms.CharField(
        label=Registration._meta.get_field("pledge_ref").verbose_name, max_length=200, required=False
    )
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args, campaigns, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = campaigns
        if self.initial.get("campaign") is not None or self.fields["campaign"].initial is not None:
            self.fields["campaign"].empty_label = None  # the open campaign, never "---------"
        self.fields["unit"].queryset = units
        sort_unit_choices(self.fields["unit"])

    def clean(self):
        data = super().clean()
        unit = data.get("unit")
        # Known households are filled in when left empty (Unit.household_count).
        if (
            unit is not None
            and unit.kind == Unit.Kind.RESIDENTIAL_AREA
            and data.get("households_total") is None
        ):
            data["households_total"] = unit.household_count
        return data


class DecisionForm(forms.Form):
    """The signature block shared by recognition and non-recognition decisions."""

    issued_on = DateField(label=_("Decision date"), widget=DATE, initial=timezone.localdate)
    signer_title = forms.CharField(label=_("Signer's title"), max_length=120)
    signer_name = forms.CharField(label=_("Signer's name"), max_length=120)
    signed_for = forms.ChoiceField(
        label=_("Signing on behalf"),
        required=False,
        choices=[("", "—"), ("TM.", "TM."), ("KT.", "KT.")],
        help_text=_("TM.: on behalf of the committee; KT.: a vice-chairman signing for the chairman."),
    )
    place = forms.CharField(label=_("Place"), max_length=100, required=False)
    legal_bases = forms.CharField(
        label=_("Legal bases"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line; empty: the standard bases are printed."),
    )


class RecognizeForm(DecisionForm):
    OUTCOMES = [("recognize", _("Recognize")), ("not_recognize", _("Do not recognize"))]

    outcome = forms.ChoiceField(
        label=_("Decision"), choices=OUTCOMES, widget=forms.RadioSelect, initial="recognize"
    )
    reason = forms.CharField(
        label=_("Reason (when not recognized)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    assessments = forms.ModelMultipleChoiceField(
        label=_("Assessments"), queryset=None, widget=forms.CheckboxSelectMultiple
    )

    field_order = ["assessments", "outcome", "reason"]

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assessments"].queryset = choices

    def clean(self):
        data = super().clean()
        if data.get("outcome") == "not_recognize" and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Give the reason for not recognizing."))
        return data


class RevokeForm(DecisionForm):
    """A revocation is its own decision (numbered when issued): the reason and its signature block."""

    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)

    field_order = ["reason"]

    def clean_reason(self) -> str:
        value = nfc(self.cleaned_data["reason"])
        if not value:
            raise forms.ValidationError(_("Give the reason for the revocation."))
        return value


class ExceptionForm(forms.Form):
    until = DateField(label=_("Entry open until"), widget=DATE)


class EvidenceForm(forms.Form):
    file = forms.FileField(label=_("File (PDF, JPEG or PNG)"), widget=FileInput)
    criterion = forms.ChoiceField(label=_("For criterion"), required=False)

    def __init__(self, *args, codes: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["criterion"].choices = [("", _("The whole dossier"))] + [(c, c) for c in codes]


class ExcelUploadForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    file = forms.FileField(label=_("Excel file (.xlsx)"), widget=FileInput)


def unit_label(unit: Unit) -> str:
    return f"{unit.code} · {unit.full_name}"
