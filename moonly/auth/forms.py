"""Signup and login forms (Flask-WTF: CSRF token in `csrf_token`)."""

from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import Email, InputRequired, Length, Optional, ValidationError

from ..accounts.service import name_problem, normalize_email, password_problem


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def _email(value: str | None) -> str | None:
    return normalize_email(value) if isinstance(value, str) else value


def _visible_text(form, field) -> None:
    problem = name_problem(field.data or "")
    if problem:
        raise ValidationError(problem)


class SignupForm(FlaskForm):
    name = StringField(
        "Your name",
        filters=[_strip],
        validators=[
            InputRequired("Tell us your name."),
            Length(max=120),
            _visible_text,
        ],
    )
    email = EmailField(
        "Work email",
        filters=[_email],
        validators=[
            InputRequired("Enter your email address."),
            Length(max=254),
            Email(
                "Enter a valid email address, like ana@example.com.",
                check_deliverability=False,
            ),
        ],
    )
    password = PasswordField(
        "Password", validators=[InputRequired("Choose a password.")]
    )
    organization = StringField(
        "Organization",
        filters=[_strip],
        validators=[Optional(), Length(max=120), _visible_text],
    )
    # Filled by the page's script from Cello's getUcc(); the server checks it.
    ucc = HiddenField(filters=[_strip], validators=[Optional(), Length(max=256)])
    # Where to go after signup; only a local path is followed (safe_local_path).
    next = HiddenField()

    def validate_password(self, field: PasswordField) -> None:
        problem = password_problem(field.data or "", self.email.data or "")
        if problem:
            raise ValidationError(problem)


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
