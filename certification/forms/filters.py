"""django-filter set for the assessment list (scoped by the view before filtering)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from antt.web.forms import sort_unit_choices
from antt.web.listing import SearchFilter
from certification.models import Assessment
from certification.selectors.campaigns import visible_campaigns
from units.access import visible_units
from units.models import Unit


class AssessmentFilter(django_filters.FilterSet):
    q = SearchFilter(fields=["unit__search_name"], label=_("Search (with or without diacritics)"))
    campaign = django_filters.ModelChoiceFilter(label=_("Campaign"), queryset=None)
    year = django_filters.NumberFilter(field_name="campaign__year", label=_("Year"))
    kind = django_filters.ChoiceFilter(field_name="unit__kind", label=_("Kind"), choices=[])
    status = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=[
            *Assessment.Status.choices,
            ("waiting", _("Submitted, waiting")),
            ("decided", _("Decided")),
        ],
        method="in_status",
    )
    commune = django_filters.ModelChoiceFilter(label=_("Commune"), queryset=None, method="in_commune")

    class Meta:
        model = Assessment
        fields = ["q", "campaign", "year", "kind", "status", "commune"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["campaign"].queryset = visible_campaigns(user)
        self.filters["commune"].queryset = visible_units(user).filter(kind=Unit.Kind.COMMUNE).order_by("name")
        self.filters["kind"].extra["choices"] = [
            (k.value, k.label)
            for k in (
                Unit.Kind.RESIDENTIAL_AREA,
                Unit.Kind.COMMUNE,
                Unit.Kind.AGENCY,
                Unit.Kind.ENTERPRISE,
                Unit.Kind.SCHOOL,
            )
        ]

    @property
    def form(self):
        form = super().form
        field = form.fields.get("commune")
        if field is not None and not getattr(form, "communes_sorted", False):
            sort_unit_choices(field)  # "Phường 2" before "Phường 10", Vietnamese alphabetical
            form.communes_sorted = True
        return form

    def in_status(self, queryset, name, status):
        """One status, or a group of them as the home counters count them."""
        if status == "waiting":
            return queryset.filter(status__in=[Assessment.Status.SUBMITTED, Assessment.Status.APPRAISED])
        if status == "decided":
            return queryset.filter(status__in=Assessment.DECIDED_STATUSES)
        return queryset.filter(status=status) if status else queryset

    def in_commune(self, queryset, name, commune):
        return queryset.filter(unit__path__startswith=commune.path) if commune else queryset
