"""The sales demo console and its JSON (the console renders exactly what the API returns)."""

import hmac

from flask import (
    abort,
    current_app,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, logout_user

from ..accounts.service import end_sessions
from ..billing import stripe_api
from ..extensions import limiter
from ..redirects import safe_local_path
from . import bp
from .journey import find_user, journey, journeys
from .reset import reset_demo_data


def _wrong_password(response) -> bool:
    return response.status_code == 401


# Checked before the password: an address that got it wrong too often waits (429).
limiter.limit(
    lambda: current_app.config["RATELIMIT_DEMO"], deduct_when=_wrong_password
)(bp)


@bp.before_request
def require_demo_password():
    """With MOONLY_DEMO_PASSWORD set (required in production), ask for it."""
    password = current_app.config.get("MOONLY_DEMO_PASSWORD")
    if not password:
        return None
    given = request.authorization.password if request.authorization else None
    if given is not None and hmac.compare_digest(given.encode(), password.encode()):
        return None
    response = make_response("The demo console needs its password.", 401)
    response.headers["WWW-Authenticate"] = 'Basic realm="Moonly demo", charset="UTF-8"'
    return response


@bp.after_request
def never_cache(response):
    """The console and its JSON show every signup: never kept by any cache."""
    response.headers["Cache-Control"] = "no-store"
    return response


CELLO_COOKIES = (
    "cello-referral",
    "cello-product-id",
    "cello-productId",
    "cello-cookie-consent",
)


@bp.get("/")
def console():
    """Show the console: invite-link builder, live journeys, what Cello sees."""
    sandbox = stripe_api.is_sandbox()
    return render_template(
        "demo/console.html",
        sandbox=sandbox,
        flow=current_app.config["MOONLY_REFERRAL_FLOW"],
        product_id=current_app.config.get("CELLO_PRODUCT_ID") or "moonly.example",
        api_journeys=url_for("demo.journeys_api"),
        api_journey=url_for("demo.journey_api"),
        reset_url=url_for("demo.reset") if sandbox else None,
        advance_url=url_for("demo.advance") if sandbox else None,
        fresh_visit_url=url_for("demo.fresh_visit"),
        selected=request.args.get("user"),
    )


@bp.get("/api/journeys")
def journeys_api():
    """List every signup, newest first."""
    return jsonify(journeys=journeys())


@bp.get("/api/journey")
def journey_api():
    """Return one signup's journey, by `?user=usr_…` or `?email=…`."""
    user_id = request.args.get("user", "").strip()
    email = request.args.get("email", "").strip()
    if not user_id and not email:
        return jsonify(error="Pass ?user=<user id> or ?email=<email>."), 400
    user = find_user(email=email, user_id=user_id)
    if user is None:
        return jsonify(error="No such user."), 404
    return jsonify(journey(user))


def _require_sandbox() -> None:
    if not stripe_api.is_sandbox():
        abort(404)


@bp.post("/reset")
def reset():
    """Offline: delete all demo data (after the form's confirmation box)."""
    _require_sandbox()
    if request.form.get("confirm") != "yes":
        message = "Nothing was deleted: tick the confirmation box to reset the demo."
        return render_template(
            "errors/error.html", code=400, title="Not reset", message=message
        ), 400
    reset_demo_data()
    logout_user()
    return redirect(url_for("demo.console"), code=303)


@bp.post("/advance")
def advance():
    """Offline: move a subscription to its next period (renewal, end of the discount)."""
    _require_sandbox()
    subscription_id = request.form.get("subscription_id", "").strip()
    if not subscription_id:
        return jsonify(error="Pass subscription_id."), 400
    try:
        result = stripe_api.advance_subscription(subscription_id)
    except stripe_api.StripeError as error:
        return jsonify(error=error.user_message or str(error)), error.http_status or 502
    return jsonify(
        ok=True, object=result["object"], id=result["id"], status=result["status"]
    )


@bp.get("/fresh-visit")
def confirm_fresh_visit():
    """Ask before forgetting this browser (a GET never logs anyone out)."""
    target = safe_local_path(request.args.get("to")) or url_for("landing.index")
    return render_template("demo/fresh_visit.html", target=target)


@bp.post("/fresh-visit")
def fresh_visit():
    """Forget this browser's Moonly session and referral cookies, then open the link."""
    target = safe_local_path(request.form.get("to")) or url_for("landing.index")
    if current_user.is_authenticated:
        end_sessions(current_user)
    logout_user()
    response = make_response(redirect(target, code=303))
    session.clear()
    response.delete_cookie(current_app.config["INVITE_COOKIE_NAME"])
    for name in CELLO_COOKIES:
        response.delete_cookie(name)
    return response
