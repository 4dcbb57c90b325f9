"""What every API request goes through: the bearer token, the per-token rate limit, the
request trail, cursor pages, ETags and the errors as JSON in Vietnamese."""

import base64
import binascii
import hashlib
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils.http import parse_etags
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer
from ninja.throttling import SimpleRateThrottle

from antt.errors import WorkflowError
from api import tokens
from api.models import ApiToken
from certification.errors import ConflictError

MAX_LIMIT = 500


READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class TokenAuth(HttpBearer):
    """``Authorization: Bearer antt_…``; the request then acts as the token's narrowed owner.

    A read-only token asking for anything but a read is refused here, 403, before the request is
    parsed or any endpoint runs: no write endpoint can forget it (the refusal is in the trail)."""

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found = tokens.find_token(token.strip())
        if found is None:
            return None
        tokens.touch(found)
        if request.method not in READ_METHODS and not found.can_write:
            tokens.record_request(
                token=found, method=request.method or "", path=request.get_full_path(), status=403
            )
            raise HttpError(403, _("This token is read-only."))
        request.user = tokens.scoped_user(found)
        return found


def token_user(request: HttpRequest) -> User:
    """The user an endpoint acts as: the token's owner, narrowed to its units (``TokenAuth``)."""
    user = request.user
    if not isinstance(user, User):  # every endpoint is behind TokenAuth: never anonymous here
        raise AuthenticationError
    return user


def request_token(request: HttpRequest) -> ApiToken | None:
    """The token ``TokenAuth`` accepted for this request (ninja keeps it as ``request.auth``)."""
    token = getattr(request, "auth", None)
    return token if isinstance(token, ApiToken) else None


class TokenThrottle(SimpleRateThrottle):
    """``API_RATE_LIMIT`` requests per token (read at each request, so tests and operators can
    change it); 429 with Retry-After beyond it."""

    def __init__(self) -> None:
        self.rate = None

    def allow_request(self, request: HttpRequest) -> bool:
        self.num_requests, self.duration = self.parse_rate(settings.API_RATE_LIMIT)
        return super().allow_request(request)

    def get_cache_key(self, request: HttpRequest) -> str | None:
        token = request_token(request)
        return f"api-throttle-{token.pk}" if token is not None else None


# --- cursor pages: opaque, stable (by id) ----------------------------------------------------


def _decode(cursor: str) -> int:
    try:
        return int(base64.urlsafe_b64decode(cursor.encode() + b"==").decode().removeprefix("after:"))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise HttpError(400, _("The cursor is not valid.")) from None


def _encode(pk: int) -> str:
    return base64.urlsafe_b64encode(f"after:{pk}".encode()).decode().rstrip("=")


def page_of[M: Model](queryset: QuerySet[M], cursor: str | None, limit: int) -> tuple[list[M], str | None]:
    """``limit`` rows after the cursor by id, and the cursor of the next page (None at the end)."""
    limit = max(1, min(limit, MAX_LIMIT))
    if cursor:
        queryset = queryset.filter(pk__gt=_decode(cursor))
    found = list(queryset.order_by("pk")[: limit + 1])
    more = len(found) > limit
    found = found[:limit]
    return found, _encode(found[-1].pk) if more else None


def page[M: Model](
    queryset: QuerySet[M], cursor: str | None, limit: int, row: Callable[[M], dict[str, Any]]
) -> dict[str, Any]:
    """A list's body: the rows of :func:`page_of` as ``row`` writes them, and the next cursor."""
    found, next_cursor = page_of(queryset, cursor, limit)
    return {"items": [row(o) for o in found], "next_cursor": next_cursor}


# --- the API object ----------------------------------------------------------------------------


class Api(NinjaAPI):
    """NinjaAPI with ETags: a GET answered 200 carries the hash of its body; the same hash in
    If-None-Match is answered 304 without a body."""

    def get_openapi_operation_id(self, operation: Any) -> str:
        """The view's name (``result_list``): what a generated client calls its function."""
        return str(operation.view_func.__name__)

    def create_response(
        self,
        request: HttpRequest,
        data: Any,
        *,
        status: int | None = None,
        temporal_response: HttpResponse | None = None,
    ) -> HttpResponse:
        response = super().create_response(request, data, status=status, temporal_response=temporal_response)
        if request.method == "GET" and response.status_code == 200:
            etag = f'"{hashlib.sha256(response.content).hexdigest()[:32]}"'
            response["ETag"] = etag
            if etag in parse_etags(request.headers.get("If-None-Match", "")):
                return HttpResponseNotModified(headers={"ETag": etag})
        return response


def add_error_handlers(api: NinjaAPI) -> None:
    def respond(request: HttpRequest, data: dict[str, Any], status: int) -> HttpResponse:
        return api.create_response(request, data, status=status)

    @api.exception_handler(AuthenticationError)
    def unauthorized(request: HttpRequest, exc: Exception) -> HttpResponse:
        detail = _(
            "A valid token is needed: Authorization: Bearer <token> (expired or revoked tokens are refused)."
        )
        response = respond(request, {"detail": detail}, 401)
        response["WWW-Authenticate"] = "Bearer"
        return response

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
        return respond(request, {"detail": _("Not found, or outside your area.")}, 404)

    @api.exception_handler(PermissionDenied)
    def forbidden(request: HttpRequest, exc: Exception) -> HttpResponse:
        return respond(request, {"detail": str(exc) or _("Your role does not allow this.")}, 403)

    @api.exception_handler(ConflictError)
    def conflict(request: HttpRequest, exc: ConflictError) -> HttpResponse:
        changes = [
            {"at": c.at, "actor": c.actor, "subject": c.subject, "field": c.field, "old": c.old, "new": c.new}
            for c in exc.changes
        ]
        return respond(request, {"detail": str(exc), "version": exc.current_version, "changes": changes}, 409)

    @api.exception_handler(WorkflowError)
    def refused(request: HttpRequest, exc: Exception) -> HttpResponse:
        errors = getattr(exc, "errors", None)
        data: dict[str, Any] = {"detail": str(exc)}
        if isinstance(errors, list):
            data["errors"] = [str(e) for e in errors]
        return respond(request, data, 400)

    @api.exception_handler(NinjaValidationError)
    def invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        errors = [f"{'.'.join(str(p) for p in e.get('loc', []))}: {e.get('msg', '')}" for e in exc.errors]
        return respond(request, {"detail": _("The request is not valid."), "errors": errors}, 422)


def with_trail(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wrap an API view: each request made with a token leaves a row in its trail."""

    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        token = request_token(request)
        if token is not None:
            tokens.record_request(
                token=token,
                method=request.method or "",
                path=request.get_full_path(),
                status=response.status_code,
            )
        return response

    for name in ("csrf_exempt", "__name__", "__doc__"):
        if hasattr(view, name):
            setattr(wrapped, name, getattr(view, name))
    return wrapped
