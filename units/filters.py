import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from antt.text import search_key
from units import access
from units.forms import UnitChoiceField, UnitCodeField
from units.models import Unit


class UnitChoiceFilter(django_filters.ModelChoiceFilter):
    field_class = UnitChoiceField


# Above this many visible communes the commune filter is a code box, not a drop-down.
COMMUNE_SELECT_LIMIT = 300


class UnitFilter(django_filters.FilterSet):
    """Browse the units the user may see. ``q`` ignores diacritics ("ky long" finds "Kỳ Long")."""

    STATUS_CHOICES = [("current", _("Current")), ("former", _("Former")), ("all", _("All"))]

    q = django_filters.CharFilter(label=_("Name or code"), method="filter_q")
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=Unit.Kind.choices)
    commune = UnitChoiceFilter(label=_("Commune"), queryset=Unit.objects.none(), method="filter_within")
    within = django_filters.NumberFilter(
        label=_("Within unit"), method="filter_within_pk", widget=forms.HiddenInput
    )
    is_eligible = django_filters.BooleanFilter(label=_("Eligible (TT 124 Art. 1)"))
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=STATUS_CHOICES, method="filter_status", empty_label=None
    )

    class Meta:
        model = Unit
        fields = ["q", "kind", "commune", "within", "is_eligible", "status"]

    def __init__(self, data=None, *args, request=None, **kwargs):
        data = data.copy() if data is not None else {}
        if not data.get("status"):
            data["status"] = "current"
        super().__init__(data, *args, request=request, **kwargs)
        user = request.user if request is not None else None
        communes = self.filters["commune"]
        communes.queryset = (
            access.visible_units(user)
            .filter(kind=Unit.Kind.COMMUNE, valid_to__isnull=True)
            .order_by("search_name")
        )
        if communes.queryset[: COMMUNE_SELECT_LIMIT + 1].count() > COMMUNE_SELECT_LIMIT:
            communes.field_class = UnitCodeField
            communes.extra["widget"] = forms.TextInput(
                attrs={"placeholder": _("Commune code, e.g. 18823"), "inputmode": "numeric", "size": 10}
            )
        self.user = user

    def filter_q(self, queryset, name, value):
        key = search_key(value)
        if not key:
            return queryset
        return queryset.filter(Q(search_name__contains=key) | Q(code__iexact=value.strip()))

    def filter_within(self, queryset, name, value: Unit):
        return queryset.filter(path__startswith=value.path)

    def filter_within_pk(self, queryset, name, value):
        root = access.visible_units(self.user).filter(pk=value).first()
        if root is None:
            return queryset.none()
        return queryset.filter(path__startswith=root.path).exclude(pk=root.pk)

    def filter_status(self, queryset, name, value):
        today = timezone.localdate()
        current = Q(valid_to__isnull=True) | Q(valid_to__gt=today)
        if value == "current":
            return queryset.filter(current)
        if value == "former":
            return queryset.exclude(current)
        return queryset


# ?o= values → model fields (the column headers toggle ascending/descending).
ORDERINGS = {"name": "search_name", "code": "code", "kind": "kind", "households": "household_count"}


def order_units(queryset, value: str):
    descending = value.startswith("-")
    field = ORDERINGS.get(value.lstrip("-"))
    if field is None:
        return queryset.order_by("path")
    return queryset.order_by(f"-{field}" if descending else field, "pk")
