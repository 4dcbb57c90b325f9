"""``{% load antt_reasons %}``: the engine's reasons on pages outside the certification views.

- ``{% criterion_panel unit year code %}``: what other apps show beside a criterion (the unit's
  self-management models beside XA-1, CQDN-1, CSGD-1: ``certification.extensions``).
- ``{% unit_reasons unit %}``: the unit's latest computed result, what is missing and what is
  needed (``selectors.reasons``), and for a commune its XA-4 in words. The units app's own pages
  use it, so ``units`` imports nothing of ``certification`` for it.
"""

import dataclasses

from django import template
from django.utils.safestring import SafeString, mark_safe

from certification import extensions
from certification.selectors import reasons

register = template.Library()


@register.inclusion_tag("certification/_unit_reasons.html")
def unit_reasons(unit) -> dict:
    campaign, found = reasons.latest_for_unit(unit)
    rollup = reasons.xa4_of_communes(campaign, [unit]) if campaign is not None else []
    xa4 = rollup[0][1] if rollup else []
    # Each XA-4 sentence once: under the XA-4 item when it is one, else in the XA-4 list.
    in_items = {f"{i.code}: {w}" for i in found.items for w in i.why} | {
        n for i in found.items for n in i.needed
    }
    found = dataclasses.replace(found, notes=[n for n in found.notes if n not in xa4])
    return {"campaign": campaign, "reasons": found, "xa4": [s for s in xa4 if s not in in_items]}


@register.simple_tag
def criterion_panel(unit, year: int, code: str) -> SafeString:
    # The providers render their own templates (autoescaped): the HTML is safe as it comes.
    return mark_safe(extensions.criterion_panel(unit, year, code))  # noqa: S308
