"""Who is guessing passwords, and from where (docs/reliability.md, "Behind the proxy").

The client's address is django-axes' (``client_address``): django-ipware reading
``X-Forwarded-For`` from the right, past ``TRUSTED_PROXY_COUNT`` proxies, so a client cannot
choose the address it is counted under and clients behind the proxy do not share one. Every
per-address limit (the login lockout, the public certificate check, password-reset e-mails)
counts this one address.

Two limits, so that guessing is slow and a stranger still cannot lock the owner out:

1. per user name and address (axes): ``AXES_FAILURE_LIMIT`` failures lock that pair for
   ``AXES_COOLOFF_TIME``. A stranger locks only their own address;
2. per account (``AccountGuardHandler``): once ``ACCOUNT_FAILURE_LIMIT`` failures were counted for
   a user name within the cool-off, from whatever addresses (each counting at most
   ``AXES_FAILURE_LIMIT``, so it takes several addresses), the account accepts logins only from
   addresses it logged in from in the last ``ACCOUNT_KNOWN_ADDRESS_DAYS`` days (axes' access log)
   until the failures cool off. Distributed guessing stops; the owner at their usual machine
   logs in as always; from a new machine they wait, or set a new password by the e-mailed link
   (which proves the mailbox and logs them in).
"""

from datetime import timedelta

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_ip_address, get_client_username, get_cool_off
from axes.models import AccessAttempt, AccessLog
from django.conf import settings
from django.core.cache import cache
from django.db.models import Sum
from django.http import HttpRequest
from django.utils import timezone

GUARDED = "antt_account_guarded"  # request attribute: refused by the account guard, not axes


def client_address(request: HttpRequest) -> str:
    """The client's address as the login lockout counts it (see the module's docstring)."""
    return get_client_ip_address(request) or ""


def rate_limited(request: HttpRequest, scope: str, limit: int) -> bool:
    """More than ``limit`` requests of ``scope`` from this client address in the current minute
    (fixed window in the Django cache: Redis in production). ``limit <= 0``: no limit."""
    if limit <= 0:
        return False
    key = f"rate:{scope}:{client_address(request)}:{int(timezone.now().timestamp() // 60)}"
    if cache.add(key, 1, timeout=70):
        return False
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=70)
        return False
    return count > limit


def account_under_attack(username: str) -> bool:
    """``ACCOUNT_FAILURE_LIMIT`` failures for ``username`` within the cool-off, each address
    counting at most ``AXES_FAILURE_LIMIT``."""
    limit = settings.ACCOUNT_FAILURE_LIMIT
    if limit <= 0 or not username:
        return False
    per_address = settings.AXES_FAILURE_LIMIT
    since = timezone.now() - (get_cool_off() or timedelta(0))
    counts = (
        AccessAttempt.objects.filter(username=username, attempt_time__gte=since)
        .values("ip_address")
        .annotate(failures=Sum("failures_since_start"))
        .values_list("failures", flat=True)
    )
    total = 0
    for failures in counts.iterator():
        total += min(failures or 0, per_address)
        if total >= limit:
            return True
    return False


def known_address(username: str, address: str) -> bool:
    """Has ``username`` logged in successfully from ``address`` recently?"""
    since = timezone.now() - timedelta(days=settings.ACCOUNT_KNOWN_ADDRESS_DAYS)
    return AccessLog.objects.filter(username=username, ip_address=address, attempt_time__gte=since).exists()


class AccountGuardHandler(AxesDatabaseHandler):
    """axes' database handler (the per-address lockout) plus the account guard."""

    def guarded(self, request: HttpRequest, credentials: dict | None) -> bool:
        username = get_client_username(request, credentials)
        if not username or not account_under_attack(username):
            return False
        address = getattr(request, "axes_ip_address", None) or client_address(request)
        return not known_address(username, address)

    def is_locked(self, request, credentials=None) -> bool:
        if super().is_locked(request, credentials):
            return True
        if self.guarded(request, credentials):
            setattr(request, GUARDED, True)
            return True
        return False

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs) -> None:
        super().user_login_failed(sender, credentials, request, **kwargs)
        # A refusal by the guard is shown as a lockout too (axes only marks its own).
        if request is not None and getattr(request, GUARDED, False) and not request.axes_locked_out:
            request.axes_locked_out = True
            request.axes_credentials = credentials
