"""Extension instances, bound to the app in `create_app`."""

from typing import TYPE_CHECKING

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager as _LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy as _SQLAlchemy
from flask_wtf import CSRFProtect as _CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    # Named constraints, so migrations can alter them on SQLite and PostgreSQL alike.
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class CSRFProtect(_CSRFProtect):
    def protect(self, apply_exemptions: bool = False) -> None:
        """Flask-WTF's check, answering at once for methods it never checks (GET):
        its exemption lookups come first otherwise, on every page."""
        if request.method not in current_app.config["WTF_CSRF_METHODS"]:
            return None
        return super().protect(apply_exemptions)


class LoginManager(_LoginManager):
    """Flask-Login without its remember-me cookie bookkeeping on every response.

    Moonly never logs anyone in with `remember=True`, so that after-request hook only
    ever finds nothing to do, on every page. (`auth` logs in without it; a test keeps
    it so.)
    """

    def init_app(self, app: Flask, add_context_processor: bool = True) -> None:
        super().init_app(app, add_context_processor)
        app.after_request_funcs[None].remove(self._update_remember_cookie)


class SQLAlchemy(_SQLAlchemy):
    def _teardown_session(self, exc: BaseException | None) -> None:
        """Flask-SQLAlchemy's end of request, skipped when the request used no
        database session (most pages): removing a session that was never made costs a
        KeyError raised and caught on every such request."""
        if self.session.registry.has():
            super()._teardown_session(exc)


db = SQLAlchemy(model_class=Base)

# The base class of every table. At run time Flask-SQLAlchemy's `db.Model`: Base's
# registry and metadata, with Flask-SQLAlchemy's mixins (`query`, bind keys). mypy
# cannot take a base class from an attribute (`class User(db.Model)` is "not defined"
# to it), so it checks the models against Base itself.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address)

# Pages no limit applies to, answered without Flask-Limiter resolving limits for them.
UNLIMITED_ENDPOINTS = frozenset({"landing.index", "health.healthz", "health.readyz"})


@limiter.request_filter
def _unlimited_page() -> bool:
    return request.endpoint in UNLIMITED_ENDPOINTS
