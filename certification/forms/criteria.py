"""Forms of the criteria and campaign pages (parse input only; services do the work)."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from antt.spreadsheets import SpreadsheetRefused, check_size
from antt.web.forms import DateField, DateInput, FileInput
from certification.models import Campaign, CriteriaSet, Criterion
from certification.services.campaigns import DATE_FIELDS
from units.models import Unit


class CampaignDatesForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = list(DATE_FIELDS)
        widgets = {name: DateInput() for name in DATE_FIELDS}
        field_classes = dict.fromkeys(DATE_FIELDS, DateField)


class OpenCampaignForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    province = forms.ModelChoiceField(label=_("Province"), queryset=Unit.objects.none())

    def __init__(self, *args, provinces=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["province"].queryset = provinces if provinces is not None else Unit.objects.none()
        if provinces is not None and provinces.count() == 1:
            self.fields["province"].initial = provinces.first()
        self.fields["year"].initial = timezone.localdate().year + (
            1 if timezone.localdate().month >= 11 else 0
        )


class ImportSetForm(forms.Form):
    file = forms.FileField(label=_("Excel file (.xlsx)"), widget=FileInput)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(_("Choose an Excel file (.xlsx)."))
        try:
            check_size(upload.size)
        except SpreadsheetRefused as e:
            raise forms.ValidationError(str(e)) from None
        return upload


class CloneForYearForm(forms.Form):
    year = forms.IntegerField(label=_("Applies from year"), min_value=2000, max_value=2100)

    def __init__(self, *args, criteria_set: CriteriaSet, **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria_set = criteria_set
        self.fields["year"].initial = max(criteria_set.year_from, datetime.date.today().year + 1)

    def clean_year(self):
        year = self.cleaned_data["year"]
        if year < self.criteria_set.year_from:
            raise forms.ValidationError(_("The new year must not be before the year the set applies from."))
        return year


class ProvinceCriterionForm(forms.Form):
    province = forms.ModelChoiceField(label=_("Province"), queryset=Unit.objects.none())
    code = forms.CharField(
        label=_("Code"),
        max_length=24,
        help_text=_("The province code is added in front, e.g. KDC-6 becomes 42-KDC-6."),
    )
    parent_code = forms.ChoiceField(label=_("In group"), required=False)
    text = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 4}))
    answer_type = forms.ChoiceField(
        label=_("Answered as"),
        choices=[c for c in Criterion.AnswerType.choices if c[0] != Criterion.AnswerType.DERIVED],
    )
    threshold_percent = forms.IntegerField(
        label=_("Threshold (%)"), required=False, min_value=0, max_value=100
    )
    na_allowed = forms.BooleanField(label=_("“Not applicable” allowed"), required=False)
    na_condition = forms.CharField(
        label=_("Applies only"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    evidence_hint = forms.CharField(
        label=_("Expected evidence"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, criteria_set: CriteriaSet, provinces, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["province"].queryset = provinces
        if criteria_set.province_id:
            self.fields["province"].queryset = provinces.filter(pk=criteria_set.province_id)
            self.fields["province"].initial = criteria_set.province_id
        elif provinces.count() == 1:
            self.fields["province"].initial = provinces.first().pk
        groups = criteria_set.criteria.filter(answer_type=Criterion.AnswerType.GROUP).order_by("order")
        self.fields["parent_code"].choices = [("", _("(top level)"))] + [(g.code, g.code) for g in groups]

    def clean(self):
        data = super().clean()
        kind = data.get("answer_type")
        if kind == Criterion.AnswerType.COUNT_THRESHOLD and data.get("threshold_percent") is None:
            self.add_error("threshold_percent", _("A count is compared with a threshold: give it."))
        return data
