"""Keys of rendered fragments kept with ``{% cache %}`` (issue 23: the entry form's criteria, the
officer's units on the home page): a hash of everything the fragment shows, in the active
language, so that any change gives another key and nothing has to be forgotten. ``parts`` must
``repr`` the same way in every process (values, tuples, dataclasses of values: no object
addresses); what depends on the session (the CSRF token) stays outside the fragment."""

import hashlib

from django.utils.translation import get_language


def fragment_key(*parts: object) -> str:
    return hashlib.sha256(repr((get_language(), parts)).encode()).hexdigest()
