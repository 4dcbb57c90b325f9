"""The session engine (``SESSION_ENGINE``): Django's database sessions with the user's id in a
column (``UserSession.user_id``), and the one way to end a user's sessions.

A password change already ends the other sessions by itself (Django keeps a hash of the password
in each session and refuses a session whose hash no longer matches); turning on two-step
verification and "log out everywhere" change nothing Django would notice, so they delete the
rows. Password changes delete them too: the rows go at once instead of at their next request.

The sessions are read through the ``identity`` cache (Django's ``cached_db`` engine on that cache,
``antt.accounts.identity``): ending sessions deletes their cached copies with their rows.
"""

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.cached_db import SessionStore as CachedDBStore

from antt.accounts.identity import identity_cache
from antt.accounts.models import UserSession


class SessionStore(CachedDBStore):
    @classmethod
    def get_model_class(cls) -> type[UserSession]:
        return UserSession

    def create_model_instance(self, data: dict) -> UserSession:
        obj = super().create_model_instance(data)
        try:
            obj.user_id = int(data.get(SESSION_KEY))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            obj.user_id = None
        return obj


def end_sessions(user_id: int, *, keep: str | None = None) -> int:
    """Delete every session of ``user_id`` but the one with key ``keep``; how many ended."""
    sessions = UserSession.objects.filter(user_id=user_id)
    if keep:
        sessions = sessions.exclude(session_key=keep)
    keys = list(sessions.values_list("session_key", flat=True))
    ended = UserSession.objects.filter(session_key__in=keys).delete()[0]
    identity_cache().delete_many([SessionStore.cache_key_prefix + key for key in keys])
    return ended
