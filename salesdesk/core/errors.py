"""Domain errors: a stable code, a translated message and, for input errors, the fields at fault.

The API maps them to 409 (conflict with the current state) or 422 (bad input); pages show them next
to the fields. One place decides the HTTP status: ``DomainError.status``.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """Base of every refusal a service can answer with."""

    code = "domain_error"
    status = 409
    default_message = _("The action is not allowed.")

    def __init__(
        self, message: object = None, *, code: str | None = None, fields: dict[str, list[str]] | None = None
    ) -> None:
        self.message = str(message if message is not None else self.default_message)
        if code:
            self.code = code
        self.fields = fields or {}
        super().__init__(self.message)

    def as_dict(self) -> dict[str, object]:
        return {"code": self.code, "message": self.message, "fields": self.fields}


class InvalidInput(DomainError):
    """The input breaks a rule; ``fields`` maps dotted field paths to messages."""

    code = "validation_error"
    status = 422
    default_message = _("Please correct the errors below.")

    @classmethod
    def single(cls, field: str, message: object, *, code: str | None = None) -> InvalidInput:
        return cls(message, code=code, fields={field: [str(message)]})


class Conflict(DomainError):
    """The action clashes with the current state (stale version, duplicate, transition)."""

    code = "conflict"
    status = 409


class NotFound(DomainError):
    code = "not_found"
    status = 404
    default_message = _("Not found.")


class Forbidden(DomainError):
    code = "forbidden"
    status = 403
    default_message = _("You do not have permission to do this.")
