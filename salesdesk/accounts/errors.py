from django.utils.translation import gettext_lazy as _

from salesdesk.core.errors import DomainError


class AccountLocked(DomainError):
    code = "account_locked"
    status = 403
    default_message = _("Too many failed logins: this account is locked for 30 minutes.")


class BadCredentials(DomainError):
    code = "bad_credentials"
    status = 401
    default_message = _("Wrong user name or password.")
