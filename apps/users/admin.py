"""Users in the Django admin: platform-level, super admins only.

NPO staff log into ``/admin/`` too, but the user list is everybody's personal data: for anyone but a
super admin the module is hidden and every view answers as if it did not exist. NPO teams manage
their people through memberships (apps.npos). Actions call the same services as the API.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.admin.forms import AdminPasswordChangeForm as DjangoAdminPasswordChangeForm
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group
from django.db.models import QuerySet
from django.http import HttpRequest
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from apps.core.admin_lookups import DeclaredLookupsOnly
from apps.core.exceptions import DomainError, ValidationFailed
from apps.core.net import client_ip
from apps.core.superuser import is_superuser
from apps.core.throttling import LoginIPRateThrottle, throttle_wait
from apps.users import lockout
from apps.users.errors import AccountLocked, EmailNotVerified, InvalidCredentials
from apps.users.models import User
from apps.users.services.accounts import user_mark_verified, user_set_active
from apps.users.services.sessions import auth_login, password_change, password_reset_request

#: Where the admin login form leaves its outcome for ``apps.users.views.admin_login`` (which sets
#: the device cookie or the 429 status on the response the form cannot reach).
LOGIN_OUTCOME_ATTR = "_augeo_admin_login"


class AdminLoginForm(AdminAuthenticationForm):
    """The admin's login form, through the same sign-in service as the API (lockout, device tokens,
    audit): the admin gets exactly the per-account rules of ``/api/v1/auth/login/``, and its per-IP
    ceiling (the ``login_ip`` scope, every submitted form counted)."""

    def clean(self) -> dict[str, Any]:
        request = self.request
        outcome: dict[str, Any] = {}
        if request is not None:
            setattr(request, LOGIN_OUTCOME_ATTR, outcome)
            wait = throttle_wait(LoginIPRateThrottle, request)
            if wait is not None:
                outcome["retry_after"] = wait
                raise forms.ValidationError(
                    f"Too many sign-in attempts from your network; try again in {wait} second(s).", code="throttled"
                )
        email = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if email is None or not password:
            return self.cleaned_data
        try:
            result = auth_login(
                email=email,
                password=password,
                ip=client_ip(request) if request is not None else None,
                device_token=lockout.device_token_from(request) if request is not None else None,
            )
        except AccountLocked as exc:
            outcome["retry_after"] = exc.retry_after
            minutes = max(1, round(exc.retry_after / 60))
            raise forms.ValidationError(
                f"Too many failed sign-in attempts; try again in about {minutes} minute(s).", code="locked"
            ) from exc
        except EmailNotVerified as exc:
            raise forms.ValidationError(exc.message, code="unverified") from exc
        except InvalidCredentials as exc:
            raise self.get_invalid_login_error() from exc
        self.user_cache = result.user
        self.confirm_login_allowed(result.user)  # active staff only
        outcome["device_token"] = result.device_token
        return self.cleaned_data


admin.site.login_form = AdminLoginForm


class AdminPasswordChangeForm(DjangoAdminPasswordChangeForm):
    """The admin's "Change password" page through the ``password_change`` service: the current
    password is checked with the sign-in lockout (5 wrong ones lock as a login would), the other
    sessions end and the change is audited, as through the API. ``apps.users.views`` answers 429
    with ``Retry-After`` while locked (the outcome is left on the request like the login form's)."""

    def __init__(self, user: Any, *args: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
        self.request = request
        super().__init__(user, *args, **kwargs)

    def clean_old_password(self) -> str:
        return str(self.cleaned_data["old_password"])  # checked by the service, counted (clean below)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}  # the two new passwords match and pass the validators
        if self.errors or not data.get("old_password"):
            return data
        request = self.request
        outcome: dict[str, Any] = {}
        if request is not None:
            setattr(request, LOGIN_OUTCOME_ATTR, outcome)
        try:
            self.user = password_change(
                user=self.user,
                current_password=data["old_password"],
                new_password=data["new_password1"],
                ip=client_ip(request) if request is not None else None,
                device_token=lockout.device_token_from(request) if request is not None else None,
            )
        except AccountLocked as exc:
            outcome["retry_after"] = exc.retry_after
            minutes = max(1, round(exc.retry_after / 60))
            # On the field: Django's template of this page shows no form-wide errors.
            self.add_error("old_password", f"Too many wrong passwords; try again in about {minutes} minute(s).")
        except ValidationFailed as exc:
            names = {"current_password": "old_password", "new_password": "new_password2"}
            for name, messages_ in (exc.fields or {}).items():
                self.add_error(names.get(name), forms.ValidationError(list(messages_)))
        return data

    def save(self, commit: bool = True) -> Any:
        return self.user  # the service has saved it


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


class UserChangeFormEmail(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class VerifiedFilter(admin.SimpleListFilter):
    title = "e-mail verified"
    parameter_name = "verified"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Verified"), ("no", "Not verified")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[User]) -> QuerySet[User]:
        if self.value() == "yes":
            return queryset.filter(email_verified_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(email_verified_at__isnull=True)
        return queryset


@admin.register(User)
class UserAdmin(DeclaredLookupsOnly, DjangoUserAdmin):
    """Search, filters and account actions for super admins (see the module docstring). Only the
    declared filters' lookups are accepted: ``?password__startswith=`` would bisect a hash."""

    form = UserChangeFormEmail
    add_form = UserCreationForm
    ordering = ["email"]
    list_display = [
        "email",
        "first_name",
        "last_name",
        "is_active",
        "email_verified",
        "is_superuser",
        "last_login",
        "date_joined",
    ]
    list_filter = ["is_active", VerifiedFilter, "is_superuser", "is_staff", "date_joined"]
    search_fields = ["email", "first_name", "last_name", "phone", "organization"]
    readonly_fields = [
        "last_login",
        "date_joined",
        "email_verified_at",
        "tokens_valid_after",
        "created_at",
        "updated_at",
    ]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (
            "Profile",
            {"fields": ("first_name", "last_name", "phone", "organization", "profile_picture", "social_links")},
        ),
        ("Address", {"fields": ("address_line1", "address_line2", "city", "state", "postal_code", "country")}),
        ("Status", {"fields": ("is_active", "email_verified_at", "is_staff", "is_superuser", "tokens_valid_after")}),
        ("Dates", {"fields": ("last_login", "date_joined", "created_at", "updated_at")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "usable_password", "password1", "password2")}),)
    filter_horizontal = ()
    # apps.legal adds "delete_account" (legal.md's account deletion) by re-registering this admin.
    actions = ["activate", "deactivate", "mark_verified", "send_password_reset"]

    @admin.display(boolean=True, description="verified", ordering="email_verified_at")
    def email_verified(self, obj: User) -> bool:
        return obj.is_email_verified

    # --- super admins only ---------------------------------------------------------------------

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_superuser(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_superuser(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_superuser(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_superuser(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Accounts are deactivated, not deleted: bids, payments and audit entries point at them.
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        queryset = super().get_queryset(request)
        return queryset if is_superuser(request.user) else queryset.none()

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        # is_active goes through the service (sessions revoked, audited); the rest is a plain edit.
        if change and "is_active" in form.changed_data:
            wanted = obj.is_active
            obj.is_active = not wanted
            super().save_model(request, obj, form, change)
            try:
                user_set_active(user=obj, is_active=wanted, actor=request.user, ip=client_ip(request))
            except DomainError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            return
        super().save_model(request, obj, form, change)

    # --- actions ---------------------------------------------------------------------------------

    def _run(self, request: HttpRequest, queryset: QuerySet[User], label: str, func: Any) -> None:
        done = 0
        for user in queryset:
            try:
                func(user)
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{user.email}: {exc.message}", messages.ERROR)
        if done:
            self.message_user(request, f"{label}: {done} account(s).", messages.SUCCESS)

    @admin.action(description="Activate the selected accounts")
    def activate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        self._run(
            request,
            queryset,
            "Activated",
            lambda u: user_set_active(user=u, is_active=True, actor=request.user, ip=client_ip(request)),
        )

    @admin.action(description="Deactivate the selected accounts (signs them out everywhere)")
    def deactivate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        self._run(
            request,
            queryset,
            "Deactivated",
            lambda u: user_set_active(user=u, is_active=False, actor=request.user, ip=client_ip(request)),
        )

    @admin.action(description="Mark the e-mail address as verified")
    def mark_verified(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        self._run(
            request,
            queryset,
            "Marked verified",
            lambda u: user_mark_verified(user=u, actor=request.user, ip=client_ip(request)),
        )

    @admin.action(description="Send a password reset e-mail")
    def send_password_reset(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        self._run(
            request,
            queryset,
            "Reset e-mail sent",
            lambda u: password_reset_request(email=u.email, actor=request.user, ip=client_ip(request)),
        )


# --- simplejwt's token blacklist: no token text, read-only ------------------------------------------


class _ReadOnlySuperuserAdmin(DeclaredLookupsOnly, admin.ModelAdmin):
    """Super admins may look; nobody adds, edits or deletes from here (services revoke tokens). No
    lookup from the address bar: ``?token__startswith=`` would read a live refresh token letter by
    letter (the page never shows it)."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_superuser(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_superuser(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


for _model in (BlacklistedToken, OutstandingToken):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


@admin.register(OutstandingToken)
class OutstandingTokenAdmin(_ReadOnlySuperuserAdmin):
    """Issued refresh tokens by id (jti), owner and dates. The token text itself is a live
    credential for seven days, so it is never shown (simplejwt's own admin lists it in clear)."""

    list_display = ["jti", "user", "created_at", "expires_at"]
    list_select_related = ["user"]
    search_fields = ["jti", "user__email"]
    ordering = ["-created_at"]
    fields = ["jti", "user", "created_at", "expires_at"]
    readonly_fields = ["jti", "user", "created_at", "expires_at"]


@admin.register(BlacklistedToken)
class BlacklistedTokenAdmin(_ReadOnlySuperuserAdmin):
    """Revoked refresh tokens: which (jti), whose and when — never the token text."""

    list_display = ["token_jti", "token_user", "token_created_at", "token_expires_at", "blacklisted_at"]
    list_select_related = ["token__user"]
    search_fields = ["token__jti", "token__user__email"]
    ordering = ["-blacklisted_at"]
    fields = ["token_jti", "token_user", "token_created_at", "token_expires_at", "blacklisted_at"]
    readonly_fields = ["token_jti", "token_user", "token_created_at", "token_expires_at", "blacklisted_at"]

    @admin.display(description="jti", ordering="token__jti")
    def token_jti(self, obj: BlacklistedToken) -> str:
        return obj.token.jti

    @admin.display(description="user", ordering="token__user")
    def token_user(self, obj: BlacklistedToken) -> Any:
        return obj.token.user

    @admin.display(description="created at", ordering="token__created_at")
    def token_created_at(self, obj: BlacklistedToken) -> Any:
        return obj.token.created_at

    @admin.display(description="expires at", ordering="token__expires_at")
    def token_expires_at(self, obj: BlacklistedToken) -> Any:
        return obj.token.expires_at


# --- Django's groups: the same lookup rule as every other admin -------------------------------------

if admin.site.is_registered(Group):
    admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(DeclaredLookupsOnly, DjangoGroupAdmin):  # type: ignore[misc]
    """``django.contrib.auth``'s group admin, with only the lookups its filters declare (the system
    check ``augeo.E011`` requires that of every registered admin)."""
