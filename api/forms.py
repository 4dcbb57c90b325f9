import datetime
from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from antt.web.forms import DateField, sort_unit_choices
from units.access import visible_units
from units.models import Unit

DEFAULT_DAYS = 90


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What the token is for, e.g. “Bảng điều khiển Công an tỉnh”."),
    )
    units = forms.ModelMultipleChoiceField(
        label=_("Units"),
        queryset=Unit.objects.none(),
        required=False,
        help_text=_(
            "Leave empty for everything your roles reach; or choose units of your area (with their subtrees)."
        ),
    )
    can_write = forms.ChoiceField(
        label=_("Access"),
        choices=[("", _("Read only")), ("1", _("Read and write (save answers, submit, imports)"))],
        required=False,
        widget=forms.RadioSelect,
    )
    expires_on = DateField(label=_("Expires on"), help_text=_("At most one year from today."))

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        units = self.fields["units"]
        assert isinstance(units, forms.ModelMultipleChoiceField)
        units.queryset = visible_units(user).filter(kind__in=Unit.ADMINISTRATIVE_KINDS, valid_to__isnull=True)
        sort_unit_choices(units, first=lambda u: u.depth)
        self.fields["can_write"].initial = ""
        self.fields["expires_on"].initial = timezone.localdate() + datetime.timedelta(days=DEFAULT_DAYS)

    def clean_can_write(self) -> bool:
        return bool(self.cleaned_data["can_write"] == "1")
