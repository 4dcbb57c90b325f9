"""Public certificate verification: no login, rate-limited, shows the certificate as issued and
its status, nothing else about the unit."""

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from certification.models import Certificate

CODE_MAX_LENGTH = 40


def client_ip(request: HttpRequest) -> str:
    """The client's address. Behind a reverse proxy set VERIFY_TRUST_X_FORWARDED_FOR=True so the
    proxy's address is not shared by everybody (the proxy must overwrite the header)."""
    if settings.VERIFY_TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")


def rate_limited(request: HttpRequest) -> bool:
    """Fixed one-minute window per client address in the Django cache (Redis in production)."""
    limit = settings.VERIFY_RATE_LIMIT
    if limit <= 0:
        return False
    key = f"verify-rate:{client_ip(request)}:{int(timezone.now().timestamp() // 60)}"
    if cache.add(key, 1, timeout=70):
        return False
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=70)
        return False
    return count > limit


@never_cache
@require_safe
def verify(request: HttpRequest, code: str) -> HttpResponse:
    if rate_limited(request):
        response = render(request, "public/verify_rate_limited.html", status=429)
        response["Retry-After"] = "60"
        return response
    certificate = None
    if 10 <= len(code) <= CODE_MAX_LENGTH:
        certificate = (
            Certificate.objects.filter(code=code)
            .select_related("replaced_by", "revoking_decision")
            .only(
                "code",
                "status",
                "snapshot",
                "revoked_on",
                "revoke_reason",
                "revoke_reference",
                "replaced_by__code",
                "revoking_decision__number",
                "revoking_decision__symbol",
                "revoking_decision__issued_on",
            )
            .first()
        )
    if certificate is None:
        return render(request, "public/verify_not_found.html", {"code": code[:CODE_MAX_LENGTH]}, status=404)
    return render(request, "public/verify.html", {"certificate": certificate, "s": certificate.snapshot})
