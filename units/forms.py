from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from antt.spreadsheets import SpreadsheetRefused, check_size
from antt.web.forms import FileInput, TidyCharField
from units.models import RoleAssignment, Unit


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Unit) -> str:
        return f"{obj.full_name} ({obj.code})"


class UnitCodeField(UnitChoiceField):
    """The same choice typed as the unit's code: for scopes too large for a drop-down (a national
    administrator would otherwise download 3,321 communes with every page of a list)."""

    widget = forms.TextInput

    def to_python(self, value):
        if value in self.empty_values:
            return None
        unit = self.queryset.filter(code=str(value).strip()).order_by("pk").first()
        if unit is None:
            raise forms.ValidationError(
                _("No commune with code “%(code)s” in your area."),
                code="invalid_choice",
                params={"code": value},
            )
        return unit

    def prepare_value(self, value):
        return value.code if isinstance(value, Unit) else value


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_("The filled-in template: Excel (.xlsx) or CSV (UTF-8), at most 5 MB."),
        widget=FileInput,
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".xlsx", ".csv")):
            raise forms.ValidationError(_("Upload an Excel workbook (.xlsx) or a CSV file (.csv)."))
        try:
            check_size(upload.size)
        except SpreadsheetRefused as e:
            raise forms.ValidationError(str(e)) from None
        return upload


class RoleForm(forms.Form):
    unit = UnitChoiceField(label=_("Unit"), queryset=Unit.objects.none())
    role = forms.ChoiceField(label=_("Role"), choices=RoleAssignment.Role.choices)
    title = forms.CharField(
        label=_("Title"), max_length=120, required=False, help_text=_("e.g. Chủ tịch UBND xã")
    )

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        if units is not None:
            self.fields["unit"].queryset = units


class UserCreateForm(RoleForm):
    username = forms.CharField(label=_("Username"), max_length=150)
    # Names as pasted: "Nguyễn\u00a0 Văn" is stored "Nguyễn Văn" (antt.text.tidy).
    first_name = TidyCharField(label=_("First name"), max_length=150, required=False)
    last_name = TidyCharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(label=_("Email"), required=False)

    field_order = ["username", "last_name", "first_name", "email", "unit", "role", "title"]

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        user_model = get_user_model()
        user_model.username_validator(username)
        if user_model.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("This username is already taken."))
        return username
