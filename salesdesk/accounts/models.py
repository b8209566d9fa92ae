"""People and organisation: users, departments, teams, login failures and API tokens."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .roles import ROLE_BY_CODE, Scope


class Department(models.Model):
    """A department (销售部, 生产部, 仓储物流部 …); plan steps and queues are per department."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=50, unique=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Team(models.Model):
    """A sales team under a manager; data scope "team" covers its members' records."""

    name = models.CharField(_("name"), max_length=50, unique=True)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="teams", verbose_name=_("department")
    )
    manager = models.ForeignKey(
        "User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_teams",
        verbose_name=_("manager"),
    )

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person who logs in; roles are groups, scope derives from them."""

    name = models.CharField(_("full name"), max_length=50, blank=True)
    mobile = models.CharField(_("mobile"), max_length=11, blank=True)
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
        verbose_name=_("department"),
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.PROTECT, related_name="members", verbose_name=_("team")
    )
    # Role codes cached by ``role_codes`` (or set by a selector that prefetched the groups).
    _role_codes: list[str] | None

    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)
    password_changed_at = models.DateTimeField(_("password changed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.name or self.username

    @property
    def display_name(self) -> str:
        return self.name or self.username

    @property
    def role_codes(self) -> list[str]:
        cached = getattr(self, "_role_codes", None)
        if cached is None:
            cached = sorted(self.groups.filter(name__in=ROLE_BY_CODE).values_list("name", flat=True))
            self._role_codes = cached
        return cached

    @property
    def is_locked(self) -> bool:
        """Locked by too many failed logins right now."""
        return bool(self.locked_until and self.locked_until > timezone.now())

    def role_labels(self) -> list[str]:
        return [str(ROLE_BY_CODE[c].label) for c in self.role_codes]

    def has_role(self, *codes: str) -> bool:
        return (self.is_superuser and "administrator" in codes) or any(c in self.role_codes for c in codes)

    @property
    def data_scope(self) -> str:
        """own / team / all: the widest among the user's roles; superusers see everything."""
        if self.is_superuser:
            return Scope.ALL
        scopes = [ROLE_BY_CODE[c].scope for c in self.role_codes]
        return max(scopes, key=Scope.ORDER.__getitem__) if scopes else Scope.OWN


class LoginFailure(models.Model):
    """One failed login, kept to count failures in the lockout window and for the audit."""

    username = models.CharField(max_length=150, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("failed login")
        verbose_name_plural = _("failed logins")

    def __str__(self) -> str:
        return f"{self.username} {self.created_at:%Y-%m-%d %H:%M}"


class ApiToken(models.Model):
    """A bearer token for the API; only its SHA-256 is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"
