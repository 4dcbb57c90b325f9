"""Users and roles, managed by administrators of a subtree.

An administrator (``RoleAssignment.Role.ADMIN`` on a unit) manages the roles on units of that
subtree: any role on the units below, and every role but administrator on the unit itself,
so nobody can create a peer or a superior. Superusers manage everything.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from antt.accounts.sessions import end_sessions
from antt.errors import WorkflowError
from certification.audit import Action, log_change
from units import access
from units.models import RoleAssignment, Unit

Role = RoleAssignment.Role
User = get_user_model()


def is_user_admin(user) -> bool:
    return access.is_global(user) or bool(access.home_units(user, [Role.ADMIN]))


def can_grant(by, unit: Unit, role: str) -> bool:
    """May ``by`` give (or take away) ``role`` on ``unit``?"""
    if access.is_global(by):
        return True
    for root in access.home_units(by, [Role.ADMIN]):
        if unit.path.startswith(root.path) and (role != Role.ADMIN or unit.pk != root.pk):
            return True
    return False


def grantable_units(by) -> QuerySet[Unit]:
    """Administrative units (current ones) on which ``by`` may give roles."""
    return (
        access.visible_units(by, roles=[Role.ADMIN])
        .filter(kind__in=Unit.ADMINISTRATIVE_KINDS, valid_to__isnull=True)
        .order_by("path")
    )


def managed_assignments(by) -> QuerySet[RoleAssignment]:
    """Role assignments on units of ``by``'s administered subtrees."""
    return access.scope_queryset(
        by, RoleAssignment.objects.select_related("user", "unit"), unit_field="unit", roles=[Role.ADMIN]
    )


def managed_users(by) -> QuerySet:
    """Users holding at least one role in ``by``'s administered subtrees (never superusers)."""
    ids = managed_assignments(by).values("user_id")
    return User.objects.filter(pk__in=ids, is_superuser=False).order_by("username")


def _check(by, unit: Unit, role: str) -> None:
    if role not in Role.values:
        raise WorkflowError(_("Unknown role."))
    if not can_grant(by, unit, role):
        raise WorkflowError(
            _(
                "You can only give roles on units of your own subtree, and the administrator role only below your unit."
            )
        )


@transaction.atomic
def grant_role(*, by, user: AbstractBaseUser, unit: Unit, role: str, title: str = "") -> RoleAssignment:
    _check(by, unit, role)
    if user.is_superuser and not access.is_global(by):
        raise WorkflowError(_("Only a superuser can change a superuser's roles."))
    if RoleAssignment.objects.filter(user=user, unit=unit, role=role).exists():
        raise WorkflowError(_("The user already has this role on this unit."))
    assignment = RoleAssignment.objects.create(user=user, unit=unit, role=role, title=title.strip())
    log_change(assignment, by=by, action=Action.GRANT_ROLE, field="role", old="", new=f"{role}@{unit.code}")
    return assignment


@transaction.atomic
def create_user_with_role(
    *,
    by,
    username: str,
    unit: Unit,
    password: str | None = None,
    role: str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    title: str = "",
) -> AbstractBaseUser:
    _check(by, unit, role)
    if User.objects.filter(username__iexact=username).exists():
        raise WorkflowError(_("This username is already taken."))
    # No password (the app's form): unusable until the user sets one from a one-time link.
    user = User.objects.create_user(
        username=username, password=password, first_name=first_name, last_name=last_name, email=email
    )
    log_change(user, by=by, action=Action.CREATE_USER, field="username", old="", new=username)
    grant_role(by=by, user=user, unit=unit, role=role, title=title)
    return user


@transaction.atomic
def revoke_role(*, by, assignment: RoleAssignment) -> None:
    assignment = RoleAssignment.objects.select_for_update().select_related("unit").get(pk=assignment.pk)
    if assignment.user_id == getattr(by, "pk", None):
        raise WorkflowError(_("You cannot remove your own role."))
    _check(by, assignment.unit, assignment.role)
    log_change(
        assignment,
        by=by,
        action=Action.REVOKE_ROLE,
        field="role",
        old=f"{assignment.role}@{assignment.unit.code}",
        new="",
    )
    assignment.delete()


@transaction.atomic
def issue_password_link(*, by, user: AbstractBaseUser) -> str:
    """A one-time link (path) with which ``user`` sets a new password; shown once to ``by``.

    The current password stops working at once and every session of ``user`` ends: the
    administrator hands over a link, never a password, and the user's first login sets one.
    The link is Django's password-reset token: it expires after ``PASSWORD_RESET_TIMEOUT`` and
    dies when the password is set (the token is bound to the password's hash)."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.pk == getattr(by, "pk", None):
        raise WorkflowError(_("Change your own password under “My account”."))
    if not access.is_global(by) and (user.is_superuser or not managed_users(by).filter(pk=user.pk).exists()):
        raise WorkflowError(_("You can only issue a link to users of your own subtree."))
    if not user.is_active:
        raise WorkflowError(_("This account is disabled."))
    user.set_unusable_password()
    user.save(update_fields=["password"])
    end_sessions(user.pk)
    log_change(user, by=by, action=Action.PASSWORD_LINK, field="password", old="", new="one-time link")
    token = default_token_generator.make_token(user)
    return reverse(
        "password_reset_confirm",
        kwargs={"uidb64": urlsafe_base64_encode(force_bytes(user.pk)), "token": token},
    )
