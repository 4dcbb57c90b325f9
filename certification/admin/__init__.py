"""Admin by area: each engineer's module registers its own models.

A module listed here is imported when it exists, so an area can add its admin file without
editing this one.
"""

from importlib import import_module
from importlib.util import find_spec

AREAS = ("criteria", "assessments", "documents", "results")

for _area in AREAS:
    if find_spec(f"{__name__}.{_area}") is not None:
        import_module(f"{__name__}.{_area}")
