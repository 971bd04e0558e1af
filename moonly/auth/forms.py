"""Signup and login forms (Flask-WTF: CSRF token in `csrf_token`)."""

from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import InputRequired, Length, Optional

from ..accounts.service import MAX_EMAIL, MAX_NAME, normalize_email


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def _email(value: str | None) -> str | None:
    return normalize_email(value) if isinstance(value, str) else value


class SignupForm(FlaskForm):
    """The signup page's fields. The account rules (`accounts.service.create_user`)
    are the same for the page and the app's API; the view shows what it refuses."""

    name = StringField(
        "Your name",
        filters=[_strip],
        render_kw={"required": True, "maxlength": MAX_NAME},
    )
    email = EmailField(
        "Work email",
        filters=[_email],
        render_kw={"required": True, "maxlength": MAX_EMAIL},
    )
    password = PasswordField("Password", render_kw={"required": True})
    organization = StringField(
        "Organization", filters=[_strip], render_kw={"maxlength": MAX_NAME}
    )
    # Filled by the page's script from Cello's getUcc(); the server checks it.
    ucc = HiddenField(filters=[_strip], validators=[Optional(), Length(max=256)])
    # Where to go after signup; only a local path is followed (safe_local_path).
    next = HiddenField()


class LoginForm(FlaskForm):
    email = EmailField(
        "Email",
        filters=[_email],
        validators=[InputRequired("Enter your email address.")],
    )
    password = PasswordField(
        "Password", validators=[InputRequired("Enter your password.")]
    )
    next = HiddenField()


class PasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password", validators=[InputRequired("Enter your current password.")]
    )
    new_password = PasswordField(
        "New password", validators=[InputRequired("Choose a new password.")]
    )
