"""POST /api/auth/token: exchange a user name and password for a bearer token."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from salesdesk.accounts.errors import BadCredentials
from salesdesk.accounts.services import authenticate_user, issue_api_token

from .common import error_responses

router = Router(tags=["auth"])


class TokenIn(Schema):
    username: str
    password: str


class TokenOut(Schema):
    token: str


@router.post("/token", auth=None, response={200: TokenOut, **error_responses(401, 403, 422)})
def obtain_token(request: HttpRequest, payload: TokenIn) -> TokenOut:
    user = authenticate_user(username=payload.username, password=payload.password, request=request)
    if user is None:
        raise BadCredentials()
    return TokenOut(token=issue_api_token(user=user))
