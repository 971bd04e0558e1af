"""Signup, login and logout."""

from typing import TypeVar

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from ..accounts.service import (
    SignupError,
    authenticate,
    change_password,
    end_sessions,
)
from ..billing.catalog import new_user_offer
from ..redirects import safe_local_path
from ..referral.invites import current_invite, remembered_invite, resolve_ucc, visit_for
from ..referral.signup import Referral, sign_up
from . import bp, devices, limits
from .forms import LoginForm, PasswordForm, SignupForm

AuthForm = TypeVar("AuthForm", SignupForm, LoginForm)


def _keeping_next(form: AuthForm) -> AuthForm:
    """The form, carrying the page to go on to after it (`?next=`) when first shown."""
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    return form


def _send_on(email: str, next_path: str | None, fallback: str) -> Response:
    """Where one who just logged in goes: `next_path` if it is on this site, else
    `fallback`; this browser is remembered as one the account's owner uses."""
    response = redirect(safe_local_path(next_path) or fallback)
    devices.remember(response, email)
    return response


@bp.route("/signup", methods=["GET", "POST"])
@limits.signup
def signup() -> ResponseReturnValue:
    """Create an account, keeping the referral code from the invite link."""
    form = _keeping_next(SignupForm())
    if form.validate_on_submit():
        ucc, source = resolve_ucc(form.ucc.data)
        try:
            user = sign_up(
                name=form.name.data or "",
                email=form.email.data or "",
                password=form.password.data or "",
                organization=form.organization.data,
                referral=Referral(ucc, source, visit_for(ucc)),
            )
        except SignupError as error:
            for field, message in error.problems.items():
                getattr(form, field).errors.append(message)
        else:
            login_user(user)
            flash("Welcome to Moonly! Your account is ready: pick a plan.", "success")
            # The plans, one click from paying, unless the visitor was on their way
            # somewhere on this site (a checkout page that asked them to log in).
            return _send_on(user.email, form.next.data, url_for("checkout.pricing"))
    # The invite link, or the one this browser opened before (named as on the landing).
    invite = current_invite() or remembered_invite()
    offer = new_user_offer() if invite else None
    status = 400 if form.is_submitted() else 200
    login_url = url_for("auth.login", next=safe_local_path(form.next.data))
    return render_template(
        "auth/signup.html", form=form, offer=offer, invite=invite, login_url=login_url
    ), status


@bp.route("/login", methods=["GET", "POST"])
@limits.login
def login() -> ResponseReturnValue:
    """Log in with email and password."""
    form = _keeping_next(LoginForm())
    if form.validate_on_submit():
        user = authenticate(form.email.data or "", form.password.data or "")
        if user is not None:
            login_user(user)
            return _send_on(user.email, form.next.data, url_for("checkout.account"))
        form.form_errors.append("Email or password is incorrect.")
    status = 400 if form.is_submitted() else 200
    signup_url = url_for("auth.signup", next=safe_local_path(form.next.data))
    return render_template("auth/login.html", form=form, signup_url=signup_url), status


@bp.post("/logout")
@login_required
def logout() -> ResponseReturnValue:
    """Log out (POST with the CSRF token): every session of this user ends."""
    end_sessions(current_user)
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("landing.index"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@limits.per_address
def password() -> ResponseReturnValue:
    """Change the password; every other session of this user ends."""
    form = PasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()  # the user, not the proxy
        problem = change_password(
            user, form.current_password.data or "", form.new_password.data or ""
        )
        if problem is None:
            login_user(user)  # this session goes on under the new version
            flash("Your password is changed. Other sessions are logged out.", "success")
            return redirect(url_for("checkout.account"))
        form.form_errors.append(problem)
    status = 400 if form.is_submitted() else 200
    return render_template("auth/password.html", form=form), status
