"""Forms of the register and of the team ratings: parse, never write (the services do)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from antt.web.forms import CountField, DateField, FileInput, sort_unit_choices
from movement.models import Level, ModelType
from units.models import Unit


class ModelForm(forms.Form):
    unit = forms.ModelChoiceField(Unit.objects.none(), label=_("Kept by"))
    name = forms.CharField(label=_("Name of the model"), max_length=200)
    model_type = forms.ModelChoiceField(ModelType.objects.none(), label=_("Type"))
    covered = forms.ModelMultipleChoiceField(
        Unit.objects.none(),
        label=_("Residential areas covered"),
        required=False,
        help_text=_("Empty: the whole unit."),
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    started_on = DateField(label=_("Started on"))
    ended_on = DateField(label=_("Ended on"), required=False)
    members = CountField(label=_("Members"), required=False, min_value=0)
    cameras = CountField(label=_("Cameras"), required=False, min_value=0, help_text=_("Camera models only."))
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, keepers, types, covered, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = keepers
        self.fields["model_type"].queryset = types
        self.fields["covered"].queryset = covered
        sort_unit_choices(self.fields["unit"])
        sort_unit_choices(self.fields["covered"])


class RatingForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    effective = forms.TypedChoiceField(
        label=_("Rating"),
        choices=[("1", _("Effective")), ("0", _("Not effective yet"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    rater_title = forms.CharField(
        label=_("Rated by (title)"), required=False, max_length=120, help_text=_("e.g. Chủ tịch UBND xã")
    )
    rated_on = DateField(label=_("Rated on"), required=False)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class EvidenceForm(forms.Form):
    file = forms.FileField(label=_("File (PDF, JPEG, PNG)"), widget=FileInput)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Excel file (.xlsx)"), widget=FileInput)


class TeamForm(forms.Form):
    unit = forms.ModelChoiceField(Unit.objects.none(), label=_("Works in"))
    name = forms.CharField(label=_("Name of the team"), max_length=200)
    members = forms.CharField(
        label=_("Team members"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("One per line: full name, position (e.g. Nguyễn Văn An, Tổ trưởng)."),
    )

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        sort_unit_choices(self.fields["unit"])

    def clean_members(self) -> list[tuple[str, str]]:
        found = []
        for line in self.cleaned_data["members"].splitlines():
            name, _sep, position = line.partition(",")
            if name.strip():
                found.append((name.strip(), position.strip()))
        if not found:
            raise forms.ValidationError(_("Enter at least one member."))
        return found


class StartRoundForm(forms.Form):
    commune = forms.ModelChoiceField(Unit.objects.none(), label=_("Commune"))
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)

    def __init__(self, *args, communes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["commune"].queryset = communes
        sort_unit_choices(self.fields["commune"])


class DecideForm(forms.Form):
    signer_name = forms.CharField(label=_("Signed by"), max_length=120)
    signer_title = forms.CharField(label=_("Title"), max_length=120, initial="Chủ tịch")
    decided_on = DateField(label=_("Date of the decision"), required=False)


class ReturnForm(forms.Form):
    reason = forms.CharField(label=_("What needs correcting"), widget=forms.Textarea(attrs={"rows": 3}))


LEVEL_CHOICES = [("", "—"), *Level.choices]
