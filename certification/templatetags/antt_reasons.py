"""``{% load antt_reasons %}``: the engine's reasons on pages outside the certification views.

- ``{% unit_reasons unit %}``: the unit's latest computed result, what is missing and what is
  needed (``selectors.reasons``), and for a commune its XA-4 in words. The units app's own pages
  use it, so ``units`` imports nothing of ``certification`` for it.
"""

from django import template

from certification.selectors import reasons

register = template.Library()


@register.inclusion_tag("certification/_unit_reasons.html")
def unit_reasons(unit) -> dict:
    campaign, found = reasons.latest_for_unit(unit)
    xa4 = reasons.xa4_of_communes(campaign, [unit]) if campaign is not None else []
    return {"campaign": campaign, "reasons": found, "xa4": xa4[0][1] if xa4 else []}
