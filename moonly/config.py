"""Settings read from the environment (python-dotenv loads `.env` in development)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"

# Flask settings by name; their values are of many types (Flask's config holds them).
Settings = dict[str, object]

# A: the Stripe customer (with Cello's metadata) is made at signup.
# B: a signup event goes to the Cello API; the customer is made at purchase.
REFERRAL_FLOWS = ("customer_at_signup", "customer_at_purchase")
CELLO_ENVS = ("sandbox", "production")
MIN_DEMO_PASSWORD = 16


class ConfigError(RuntimeError):
    """The environment asks for something Moonly cannot run with."""


def env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def database_url(default: str) -> str:
    """Return DATABASE_URL with the psycopg 3 driver, or the SQLite default."""
    url = os.environ.get("DATABASE_URL", "").strip() or default
    # Heroku-style platforms hand out postgres:// URLs; SQLAlchemy needs a dialect name.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _choice(name: str, choices: tuple[str, ...], default: str) -> str:
    value = os.environ.get(name, "").strip() or default
    if value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}; got {value!r}.")
    return value


def _development_secret_key() -> str:
    """Keep a random key in instance/ so sessions survive restarts in development."""
    path = INSTANCE_DIR / "secret_key"
    if path.exists():
        return path.read_text().strip()
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    try:
        return int(value) if value else default
    except ValueError:
        raise ConfigError(f"{name} must be a whole number; got {value!r}.") from None


def _number(name: str, default: float) -> float:
    value = os.environ.get(name, "").strip()
    try:
        return float(value) if value else default
    except ValueError:
        raise ConfigError(
            f"{name} must be a number of seconds; got {value!r}."
        ) from None


def _trial_days() -> int:
    days = _int("MOONLY_TRIAL_DAYS", 0)
    if not 0 <= days <= 730:  # Stripe's longest trial is two years
        raise ConfigError(f"MOONLY_TRIAL_DAYS must be 0 to 730; got {days}.")
    return days


def _text(name: str, default: str) -> str:
    return os.environ.get(name, "").strip() or default


def _secret(name: str) -> str | None:
    return os.environ.get(name, "").strip() or None


def _hosts() -> list[str]:
    from .hosts import parse_hosts

    return parse_hosts(os.environ.get("MOONLY_ALLOWED_HOSTS", ""))


def base_settings() -> Settings:
    """Settings shared by every environment, read from the environment now."""
    host = os.environ.get("HOST", "").strip() or "127.0.0.1"
    port = os.environ.get("PORT", "").strip() or "5000"
    return {
        "HOST": host,
        "SECRET_KEY": _secret("SECRET_KEY"),
        "SQLALCHEMY_DATABASE_URI": database_url(
            f"sqlite:///{INSTANCE_DIR / 'moonly.sqlite3'}"
        ),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "STRIPE_SECRET_KEY": _secret("STRIPE_SECRET_KEY"),
        "STRIPE_WEBHOOK_SECRET": _secret("STRIPE_WEBHOOK_SECRET"),
        # Another address for Stripe's API, such as the offline sandbox served over
        # HTTP (`make sandbox`): http://127.0.0.1:12111. Unset: api.stripe.com.
        "STRIPE_API_BASE": _secret("STRIPE_API_BASE"),
        # The in-process sandbox's own database. Unset: derived from the app's (a
        # sibling SQLite file, or the schema `stripe_sandbox` on PostgreSQL).
        "STRIPE_SANDBOX_DATABASE_URL": _secret("STRIPE_SANDBOX_DATABASE_URL"),
        # Retries the Stripe SDK makes itself on network errors, 409 and 5xx.
        "STRIPE_MAX_NETWORK_RETRIES": _int("STRIPE_MAX_NETWORK_RETRIES", 2),
        # Offline only: the URL the app registers as its webhook endpoint in the
        # sandbox. Unset: the address the app is served on (the first request's
        # host), or http://HOST:PORT/webhooks/stripe for `flask stripe bootstrap`.
        "STRIPE_SANDBOX_WEBHOOK_URL": _secret("STRIPE_SANDBOX_WEBHOOK_URL"),
        "SERVER_ADDRESS": f"http://{host}:{port}",
        # Offline only: run the sandbox's webhook deliverer in a background thread.
        "STRIPE_SANDBOX_DELIVER": env_flag("STRIPE_SANDBOX_DELIVER", False),
        "CELLO_ENV": _choice("CELLO_ENV", CELLO_ENVS, "sandbox"),
        "CELLO_PRODUCT_ID": _secret("CELLO_PRODUCT_ID"),
        # Signs the Referral component's user tokens (HS512). Never sent to the browser.
        "CELLO_PRODUCT_SECRET": _secret("CELLO_PRODUCT_SECRET"),
        # Cello API access keys (not the product id / secret), for scenario B's events.
        "CELLO_ACCESS_KEY_ID": _secret("CELLO_ACCESS_KEY_ID"),
        "CELLO_SECRET_ACCESS_KEY": _secret("CELLO_SECRET_ACCESS_KEY"),
        # Default by CELLO_ENV; tests point it at a local server.
        "CELLO_API_BASE": _secret("CELLO_API_BASE"),
        "CELLO_API_TIMEOUT": _number("CELLO_API_TIMEOUT", 10.0),
        # Run the background runner (the Cello outbox) in a thread of each web
        # process. On in development only: production runs it in `flask worker`.
        "CELLO_BACKGROUND_DELIVERY": env_flag("CELLO_BACKGROUND_DELIVERY", False),
        "CELLO_LANGUAGE": os.environ.get("CELLO_LANGUAGE", "").strip() or "en",
        "MOONLY_REFERRAL_FLOW": _choice(
            "MOONLY_REFERRAL_FLOW", REFERRAL_FLOWS, "customer_at_signup"
        ),
        "MOONLY_DEMO": env_flag("MOONLY_DEMO", False),
        # Days of free trial on every new plan (the card is collected first); 0: none.
        "MOONLY_TRIAL_DAYS": _trial_days(),
        # The invite link is also kept server-side so signup works when Cello's
        # script is blocked.
        "INVITE_COOKIE_NAME": "moonly_invite",
        "INVITE_COOKIE_MAX_AGE": 90 * 24 * 3600,
        "INVITE_COOKIE_SECURE": False,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        # Request bodies: Moonly's forms are a few hundred bytes, so 64 KiB is plenty;
        # a larger body is refused (413) from its Content-Length, before it is read.
        # Stripe's events are far below 1 MiB; the webhook allows that much.
        "MAX_CONTENT_LENGTH": 64 * 1024,
        "MAX_FORM_MEMORY_SIZE": 64 * 1024,
        "MAX_FORM_PARTS": 50,
        "WEBHOOK_MAX_BYTES": 1024 * 1024,
        # Rate limits (Flask-Limiter syntax). Per client address: generous enough for
        # an office of people signing up from behind one address, tight enough to slow
        # down password guessing. RATELIMIT_STORAGE_URI=redis://… when several
        # processes serve.
        "RATELIMIT_ENABLED": env_flag("RATELIMIT_ENABLED", True),
        # Redis when several processes serve (a platform's Redis add-on sets REDIS_URL).
        "RATELIMIT_STORAGE_URI": _secret("RATELIMIT_STORAGE_URI")
        or _secret("REDIS_URL")
        or "memory://",
        # Redis unreachable: count in each process's memory meanwhile, never a 500.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_KEY_PREFIX": _text("RATELIMIT_KEY_PREFIX", "moonly"),
        "RATELIMIT_HEADERS_ENABLED": True,
        "RATELIMIT_SIGNUP": _text("RATELIMIT_SIGNUP", "30 per minute;300 per hour"),
        "RATELIMIT_LOGIN": _text("RATELIMIT_LOGIN", "30 per minute;300 per hour"),
        # Failed logins to one account from one address.
        "RATELIMIT_LOGIN_PER_EMAIL": _text(
            "RATELIMIT_LOGIN_PER_EMAIL", "10 per minute;50 per hour"
        ),
        # Failed logins to one account from browsers that never logged in to it.
        "RATELIMIT_LOGIN_PER_ACCOUNT": _text(
            "RATELIMIT_LOGIN_PER_ACCOUNT", "100 per hour"
        ),
        # Wrong demo passwords per client address.
        "RATELIMIT_DEMO": _text("RATELIMIT_DEMO", "10 per minute;100 per hour"),
        "RATELIMIT_TOKEN": _text("RATELIMIT_TOKEN", "60 per minute"),
        # The demo console and its API; in production also MOONLY_DEMO_PASSWORD (basic
        # auth).
        "MOONLY_DEMO_PASSWORD": _secret("MOONLY_DEMO_PASSWORD"),
        # /readyz fails when a queued delivery is this many minutes past due.
        "READYZ_BACKLOG_MINUTES": _int("READYZ_BACKLOG_MINUTES", 15),
        # Host names this site answers to (comma-separated; ".example.com" also allows
        # its subdomains). Development and tests default to HOST and localhost;
        # production requires the list.
        "MOONLY_ALLOWED_HOSTS": _hosts(),
        # Proxies in front of the app whose X-Forwarded-For/-Proto to trust (ProxyFix).
        "TRUST_PROXY_HOPS": _int("TRUST_PROXY_HOPS", 0),
    }


def _default_hosts(settings: Settings) -> None:
    if not settings["MOONLY_ALLOWED_HOSTS"]:
        from .hosts import default_hosts

        settings["MOONLY_ALLOWED_HOSTS"] = default_hosts(settings)


def development_settings() -> Settings:
    settings = base_settings()
    _default_hosts(settings)
    settings["SECRET_KEY"] = settings["SECRET_KEY"] or _development_secret_key()
    settings["MOONLY_DEMO"] = env_flag("MOONLY_DEMO", True)
    settings["STRIPE_SANDBOX_DELIVER"] = env_flag("STRIPE_SANDBOX_DELIVER", True)
    settings["CELLO_BACKGROUND_DELIVERY"] = env_flag("CELLO_BACKGROUND_DELIVERY", True)
    return settings


def production_settings() -> Settings:
    settings = base_settings()
    if not settings["SECRET_KEY"]:
        raise ConfigError(
            "SECRET_KEY is not set. Production refuses to start without it; generate "
            'one with: python -c "import secrets; print(secrets.token_hex(32))"'
        )
    if not settings["STRIPE_SECRET_KEY"] and not env_flag("STRIPE_SANDBOX"):
        raise ConfigError(
            "STRIPE_SECRET_KEY is not set. Production uses the offline Stripe sandbox "
            "only when STRIPE_SANDBOX=1 asks for it."
        )
    if settings["MOONLY_DEMO"] and not settings["MOONLY_DEMO_PASSWORD"]:
        raise ConfigError(
            "MOONLY_DEMO is on in production: set MOONLY_DEMO_PASSWORD too, so the "
            "demo console and its API ask for it (HTTP basic auth)."
        )
    demo_password = str(settings["MOONLY_DEMO_PASSWORD"] or "")
    if settings["MOONLY_DEMO"] and len(demo_password) < MIN_DEMO_PASSWORD:
        raise ConfigError(
            f"MOONLY_DEMO_PASSWORD must be at least {MIN_DEMO_PASSWORD} characters: it "
            "guards every user's email and Stripe data. Generate one with: "
            'python -c "import secrets; print(secrets.token_urlsafe(24))"'
        )
    if not settings["MOONLY_ALLOWED_HOSTS"]:
        raise ConfigError(
            "MOONLY_ALLOWED_HOSTS is not set. Production answers only to the host "
            "names listed there, e.g. "
            "MOONLY_ALLOWED_HOSTS=moonly.example,www.moonly.example"
        )
    settings.update(
        SESSION_COOKIE_SECURE=True,
        REMEMBER_COOKIE_SECURE=True,
        INVITE_COOKIE_SECURE=True,
        # Heroku-style platforms put one router in front of the app.
        TRUST_PROXY_HOPS=_int("TRUST_PROXY_HOPS", 1),
    )
    return settings


def testing_settings() -> Settings:
    settings = base_settings()
    _default_hosts(settings)
    settings.update(
        TESTING=True,
        SECRET_KEY="testing-only-not-a-secret",  # noqa: S106 - tests only
        STRIPE_SECRET_KEY=None,
        STRIPE_API_BASE=None,
        STRIPE_SANDBOX_DATABASE_URL=None,
        STRIPE_WEBHOOK_SECRET="whsec_testing_only",  # noqa: S106 - tests only
        STRIPE_MAX_NETWORK_RETRIES=0,
        STRIPE_SANDBOX_DELIVER=False,
        MOONLY_DEMO=True,
        MOONLY_REFERRAL_FLOW="customer_at_signup",
        CELLO_ENV="sandbox",
        CELLO_PRODUCT_ID=None,
        CELLO_PRODUCT_SECRET=None,
        CELLO_ACCESS_KEY_ID=None,
        CELLO_SECRET_ACCESS_KEY=None,
        CELLO_API_BASE=None,
        CELLO_BACKGROUND_DELIVERY=False,
        RATELIMIT_ENABLED=False,
        MOONLY_DEMO_PASSWORD=None,
        TRUST_PROXY_HOPS=0,
    )
    return settings


ENVIRONMENTS = {
    "development": development_settings,
    "production": production_settings,
    "testing": testing_settings,
}


def load_settings(name: str | None = None) -> Settings:
    """Build one environment's settings (default: MOONLY_ENV, else production)."""
    name = name or _choice("MOONLY_ENV", tuple(ENVIRONMENTS), "production")
    if name not in ENVIRONMENTS:
        raise ConfigError(f"Unknown environment {name!r}.")
    settings = ENVIRONMENTS[name]()
    settings["ENV_NAME"] = name
    return settings
