"""Signed customer confirmation links: order id + a nonce, timestamped, valid for a parameterised time.

A new link or a return to draft changes the order's nonce, so every earlier link stops working.
"""

from __future__ import annotations

import secrets

from django.core import signing

from salesdesk.core.parameters import get_parameter

SALT = "salesdesk.orders.confirmation"


def new_nonce() -> str:
    return secrets.token_urlsafe(12)


def make_token(order_id: int, nonce: str) -> str:
    """Sign {order id, nonce} with a timestamp (django.core.signing, salted)."""
    return signing.dumps({"o": order_id, "n": nonce}, salt=SALT, compress=False)


def link_hours() -> int:
    return int(get_parameter("orders.confirmation_link_hours"))


def read_token(token: str) -> tuple[int, str]:
    """Return (order id, nonce); raise signing.SignatureExpired or signing.BadSignature."""
    payload = signing.loads(token, salt=SALT, max_age=link_hours() * 3600)
    if not isinstance(payload, dict) or not isinstance(payload.get("o"), int):
        raise signing.BadSignature("bad payload")
    return payload["o"], str(payload.get("n", ""))


def confirmation_path(token: str) -> str:
    return f"/c/{token}/"
