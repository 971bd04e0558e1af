"""The account rules: creating a user, logging in, ending sessions, new passwords."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from .models import InviteVisit, Organization, User

MIN_PASSWORD = 10
MAX_PASSWORD = 128
MAX_NAME = 120  # names and organizations
MAX_EMAIL = 254
_COMMON = {
    "password", "password1", "password12", "password123", "password1234",
    "qwertyuiop", "1234567890", "0123456789", "123456789a", "iloveyou12",
    "letmein123", "welcome123", "moonly1234", "moonlymoonly", "abcdefghij",
    "qwerty1234", "1q2w3e4r5t", "aaaaaaaaaa", "passw0rd12", "changeme12",
}  # fmt: skip

_HIDDEN = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}

# Compared against when the email is unknown, so a login takes as long either way.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


class SignupError(Exception):
    """A signup refused: what is wrong, by field (the first problem of each)."""

    def __init__(self, problems: dict[str, str]):
        self.problems = problems
        self.field, self.message = next(iter(problems.items()))
        super().__init__(self.message)


class EmailTaken(SignupError):
    def __init__(self) -> None:
        super().__init__(
            {"email": "An account with this email already exists. Log in instead."}
        )


def normalize_email(email: str) -> str:
    """One spelling per address: NFKC (fullwidth "ｃｏｎｃ" is "conc"), trimmed,
    lowercase."""
    return unicodedata.normalize("NFKC", email).strip().lower()


def name_problem(name: str) -> str | None:
    """Refuse characters that hide or reorder text: controls, bidi overrides,
    zero-width and other format characters, line and paragraph separators."""
    if any(unicodedata.category(ch) in _HIDDEN for ch in name):
        return (
            "Use visible characters only: no control, zero-width or "
            "text-direction characters."
        )
    return None


def password_problem(password: str, email: str = "") -> str | None:
    """Say what is wrong with a new password, or None if it will do."""
    if len(password) < MIN_PASSWORD:
        return f"Use at least {MIN_PASSWORD} characters."
    if len(password) > MAX_PASSWORD:
        return f"Use at most {MAX_PASSWORD} characters."
    lowered = password.lower()
    local_part = email.split("@")[0].lower()
    # A short local part ("b@…") would match almost any password; only longer ones
    # count.
    contains_email = len(local_part) >= 4 and local_part in lowered
    if lowered in _COMMON or len(set(lowered)) < 4 or contains_email:
        return "This password is too easy to guess. Try a few unrelated words."
    return None


def email_problem(email: str) -> str | None:
    """Say what is wrong with a (normalized) email address, or None if it will do."""
    if not email:
        return "Enter your email address."
    if len(email) > MAX_EMAIL:
        return f"Field cannot be longer than {MAX_EMAIL} characters."
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        return "Enter a valid email address, like ana@example.com."
    return None


def _text_problem(value: str) -> str | None:
    if len(value) > MAX_NAME:
        return f"Field cannot be longer than {MAX_NAME} characters."
    return name_problem(value)


def signup_problems(
    *, name: str, email: str, password: str, organization: str | None
) -> dict[str, str]:
    """The account rules of every signup (the page, the app's API), by field.

    Takes the values as `create_user` stores them: name and organization stripped, the
    email normalized.
    """
    problems = {
        "name": "Tell us your name." if not name else _text_problem(name),
        "email": email_problem(email),
        "password": "Choose a password."
        if not password
        else password_problem(password, email),
        "organization": _text_problem(organization) if organization else None,
    }
    return {field: problem for field, problem in problems.items() if problem}


def email_taken(email: str) -> bool:
    count = db.session.scalar(
        select(func.count()).select_from(User).where(User.email == email)
    )
    return bool(count)


def create_user(
    *,
    name: str,
    email: str,
    password: str,
    organization: str | None,
    ucc: str | None = None,
    ucc_source: str | None = None,
    invite_visit: InviteVisit | None = None,
    in_same_commit: Callable[[User], None] | None = None,
) -> User:
    """Check the account rules and create the user (and organization).

    Whatever `in_same_commit` adds is committed with the user, or not at all.
    Raises SignupError (EmailTaken for a taken email) with nothing stored.
    """
    name, email = name.strip(), normalize_email(email)
    organization = (organization or "").strip() or None
    problems = signup_problems(
        name=name, email=email, password=password, organization=organization
    )
    if problems:
        raise SignupError(problems)
    if email_taken(email):
        raise EmailTaken()
    user = User(
        email=email,
        name=name,
        password_hash=generate_password_hash(password),
        organization=Organization(name=organization) if organization else None,
        ucc=ucc,
        ucc_source=ucc_source,
        invite_visit=invite_visit,
    )
    db.session.add(user)
    try:
        db.session.flush()  # what is committed with the user carries its id
        if in_same_commit is not None:
            in_same_commit(user)
        db.session.commit()
    except IntegrityError:
        # Another signup with this email committed between the check and ours.
        db.session.rollback()
        raise EmailTaken() from None
    return user


def authenticate(email: str, password: str) -> User | None:
    user = db.session.scalar(select(User).where(User.email == normalize_email(email)))
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


def load_session_user(login_id: str) -> User | None:
    """The user a session's login id names, unless that session was ended since."""
    public_id, _, version = login_id.partition(":")
    if not version.isdigit():
        return None  # a session from before versions, or not ours
    user: User | None = db.session.scalar(
        select(User).where(User.public_id == public_id, User.deleted_at.is_(None))
    )
    if user is None or user.session_version != int(version):
        return None
    return user


def end_sessions(user: User) -> None:
    """End every session of this user made so far (logout, a new password)."""
    db.session.execute(
        update(User)
        .where(User.id == user.id)
        .values(session_version=User.session_version + 1)
    )
    db.session.commit()
    db.session.refresh(user)


def change_password(user: User, current: str, new: str) -> str | None:
    """Set a new password after checking the current one; say what is wrong, if
    anything.

    Every other session of the user ends; the caller logs this one in again.
    """
    if not check_password_hash(user.password_hash, current):
        return "Your current password is not correct."
    problem = password_problem(new, user.email)
    if problem:
        return problem
    user.password_hash = generate_password_hash(new)
    db.session.commit()
    end_sessions(user)
    return None
