"""The API's endpoints: read the JSON, call the one function that does the work, answer
JSON. Signups go through `referral.signup.sign_up`, like the signup page."""

from __future__ import annotations

from flask import Response, jsonify
from flask.typing import ResponseReturnValue

from ..accounts.models import User
from ..accounts.service import EmailTaken, SignupError, authenticate
from ..cello import component
from ..referral.signup import Referral, sign_up
from ..timeutil import isoformat
from . import bp, inputs, limits, tokens
from .errors import ApiError


def _user(user: User) -> dict[str, str | None]:
    return {
        "id": user.public_id,
        "email": user.email,
        "name": user.name,
        "organization_id": user.organization_public_id,
    }


def _token(issued: tokens.NewToken) -> dict[str, str | None]:
    return {"token": issued.token, "expires_at": isoformat(issued.expires_at)}


@bp.after_request
def never_cached(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"  # tokens and personal data
    return response


@bp.post("/signups")
@limits.signup
def signup() -> ResponseReturnValue:
    """Create an account from the app, with the referral code the app was given."""
    body = inputs.json_object()
    fields = inputs.signup_fields(body)
    ucc = inputs.referral_ucc(body)
    token = tokens.NewToken()
    try:
        user = sign_up(
            **fields,
            referral=Referral(ucc, "app" if ucc else None),
            in_same_commit=token.add_for,  # a user with a token, or neither
        )
    except EmailTaken as taken:
        raise ApiError(409, "email_taken", taken.message, "email") from None
    except SignupError as error:
        raise ApiError(422, "invalid_field", error.message, error.field) from None
    return jsonify(user=_user(user), **_token(token)), 201


@bp.post("/sessions")
@limits.login
def login() -> ResponseReturnValue:
    """Log in with email and password; answer a new token."""
    body = inputs.json_object()
    email = inputs.text(body, "email", required=True)
    password = inputs.text(body, "password", required=True)
    user = authenticate(email, password)
    if user is None:
        raise ApiError(401, "invalid_credentials", "Email or password is incorrect.")
    return jsonify(_token(tokens.issue(user)))


@bp.delete("/sessions/current")
def logout() -> ResponseReturnValue:
    """Revoke the token this request carries (the app's other tokens stay)."""
    tokens.revoke(tokens.authenticated())
    return "", 204


@bp.get("/me")
def me() -> ResponseReturnValue:
    """The user this token belongs to."""
    return jsonify(user=_user(tokens.authenticated().user))


@bp.get("/cello/token")
@limits.cello_token
def cello_token() -> ResponseReturnValue:
    """The Referral component's token for this user, to boot Cello's mobile SDK."""
    user = tokens.authenticated().user
    if not component.enabled():
        raise ApiError(
            404,
            "cello_not_configured",
            "The Referral component is not configured on this server.",
        )
    return jsonify(token=component.user_token(user))
