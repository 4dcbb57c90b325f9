"""Form fields and widgets shared by the apps' forms: input as people type it.

* ``DateInput``: a text box in dd/mm/yyyy. Chromium draws ``<input type="date">`` in the
  browser's locale (mm/dd/yyyy on an English system) whatever ``lang`` says, so dates are typed
  as text and parsed with ``DATE_INPUT_FORMATS`` (antt/formats/vi: dd/mm/yyyy first, ISO too).
* ``DateField``: reads what ``DateInput`` shows, dd/mm/yyyy, in every interface language.
* ``CountField``: a whole number written "1250", "1.250", "1,250" or "1 250" (``antt.text.parse_count``).
* ``TidyCharField``: text through ``antt.text.tidy`` (look-alike letters, invisible characters, spaces).
"""

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Case, IntegerField, Value, When
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from antt.text import parse_count, sort_key, tidy

DATE_PLACEHOLDER = "dd/mm/yyyy"


class DateInput(forms.DateInput):
    input_type = "text"

    def __init__(self, attrs=None, format=None):  # noqa: A002 - Django's argument name
        attrs = {
            "placeholder": DATE_PLACEHOLDER,
            "inputmode": "numeric",
            "autocomplete": "off",
            "pattern": r"\d{1,2}/\d{1,2}/\d{4}",
            "class": "date-input",
            **(attrs or {}),
        }
        super().__init__(attrs=attrs, format=format or "%d/%m/%Y")


class DateField(forms.DateField):
    """A date typed dd/mm/yyyy (ISO accepted) whatever the interface language: the box shows
    dd/mm/yyyy, so it is never read as mm/dd/yyyy (Django's English input formats)."""

    widget = DateInput
    input_formats = ["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d"]


class CountField(forms.IntegerField):
    default_error_messages = {"invalid": _("Enter a whole number, e.g. 1250 or 1.250.")}
    widget = forms.TextInput(attrs={"inputmode": "numeric"})

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return parse_count(str(value))
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


class TidyCharField(forms.CharField):
    def to_python(self, value):
        value = super().to_python(value)
        return tidy(value) if isinstance(value, str) else value


class FileInput(forms.FileInput):
    """A file box whose button and empty state speak Vietnamese: Chromium's own button says
    "Choose File" / "No file chosen" in the browser's language whatever the page's. The native
    input stays (keyboard, screen readers, drag and drop) but is drawn as a label styled as a
    button; static/js/nav.js writes the chosen file's name next to it."""

    def render(self, name, value, attrs=None, renderer=None):
        attrs = {**(attrs or {}), "class": "file-input"}
        native = super().render(name, value, attrs, renderer)
        input_id = (attrs or {}).get("id") or f"id_{name}"
        return format_html(
            '<span class="file-pick">{}<label for="{}" class="btn file-button" aria-hidden="true">{}</label>'
            '<span class="file-name muted small" data-empty="{}">{}</span></span>',
            native,
            input_id,
            _("Choose a file…"),
            _("No file chosen"),
            _("No file chosen"),
        )


# Django's own messages whose Vietnamese translation is wrong or missing: marked here so that
# scripts/i18n keeps them in our catalogue (locale/vi/parts/ui.po), which takes precedence.
DJANGO_MESSAGES = (
    gettext_noop("Enter a whole number."),
    gettext_noop("Select a valid choice. That choice is not one of the available choices."),
    gettext_noop("Select a valid choice. %(value)s is not one of the available choices."),
    gettext_noop("Ensure this value is greater than or equal to %(limit_value)s."),
)


SORTED_CHOICES_LIMIT = 3000  # beyond that the database order stays (a select nobody scrolls)


def sort_unit_choices(field: forms.ModelChoiceField, *, first=None) -> None:
    """Offer a select of units in the order people look for them (``antt.text.sort_key`` on
    the name: "Tổ dân phố 2" before "Tổ dân phố 10", "Đông" after "Dương"). ``first`` (a
    function of the unit) groups before the name, e.g. the province before its communes.

    The order is given to the queryset itself (``CASE pk WHEN … THEN position``), so the field
    renders and validates as any ModelChoiceField (Django's and django-filter's alike)."""
    queryset = field.queryset
    units = list(queryset[: SORTED_CHOICES_LIMIT + 1])
    if not units or len(units) > SORTED_CHOICES_LIMIT:
        return
    units.sort(key=lambda u: ((first(u) if first else 0), sort_key(u.name), sort_key(str(u))))
    position = Case(*(When(pk=u.pk, then=Value(i)) for i, u in enumerate(units)), output_field=IntegerField())
    field.queryset = queryset.order_by(position)
