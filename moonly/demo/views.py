"""The sales demo console and its JSON (the console renders exactly what the API
returns)."""

import hmac

from flask import (
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user, logout_user
from werkzeug.wrappers import Response as BaseResponse

from ..accounts.service import end_sessions
from ..billing import stripe_api
from ..extensions import limiter
from ..redirects import safe_local_path
from . import actions, bp, invite_link, live
from .journey import find_user, journey, journeys
from .reset import reset_demo_data


def _wrong_password(response: Response) -> bool:
    return bool(response.status_code == 401)


# Checked before the password: an address that got it wrong too often waits (429).
limiter.limit(
    lambda: current_app.config["RATELIMIT_DEMO"], deduct_when=_wrong_password
)(bp)


@bp.before_request
def require_demo_password() -> ResponseReturnValue | None:
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
def never_cache(response: Response) -> Response:
    """The console and its JSON show every signup: never kept by any cache."""
    response.headers["Cache-Control"] = "no-store"
    return response


CELLO_COOKIES = (
    "cello-referral",
    "cello-product-id",
    "cello-productId",
    "cello-cookie-consent",
)


def _new_visitor_session() -> None:
    """Forget who this browser was, but keep its CSRF secret: the console's other
    forms, rendered before, must still work (its window stays open)."""
    csrf = session.get("csrf_token")
    session.clear()
    if csrf is not None:
        session["csrf_token"] = csrf


def _forget_browser(response: BaseResponse) -> None:
    """Drop this browser's invite cookie and Cello's cookies."""
    response.delete_cookie(current_app.config["INVITE_COOKIE_NAME"])
    for name in CELLO_COOKIES:
        response.delete_cookie(name)


@bp.get("/")
def console() -> ResponseReturnValue:
    """The console: an invite-link builder, the followed journey, what Cello sees."""
    sandbox = stripe_api.is_sandbox()
    return render_template(
        "demo/console.html",
        sandbox=sandbox,
        flow=current_app.config["MOONLY_REFERRAL_FLOW"],
        invite=invite_link.build(request.args, generate=True),
        **live.context(request.args.get("user")),
    )


@bp.get("/live")
def live_part() -> ResponseReturnValue:
    """The live part again when anything changed since `v`; 204 (htmx keeps it) if
    not."""
    pinned = request.args.get("user", "").strip() or None
    if request.args.get("v") == live.state(pinned).fingerprint:
        return "", 204
    context = live.context(pinned, shown=request.args.get("shown", ""))
    return render_template("demo/_live.html", oob=True, **context)


@bp.get("/invite")
def invite() -> ResponseReturnValue:
    """The invite link for the builder's fields (htmx swaps it in as they change)."""
    generated = "generate" in request.args
    built = invite_link.build(request.args, generate=generated)
    return render_template("demo/_invite.html", invite=built, generated=generated)


@bp.post("/actions")
def action() -> ResponseReturnValue:
    """One lifecycle button (advance, end trial, switch, refund, cancel) on a
    journey."""
    user_id = request.form.get("user", "").strip()
    user = find_user(user_id=user_id) if user_id else None
    if user is None:
        message, error = "No such signup: reload the console.", True
    else:
        try:
            message = actions.run(
                request.form.get("kind", ""),
                request.form.get("target", ""),
                journey(user),
            )
            error = False
        except actions.ActionError as problem:
            message, error = str(problem), True
        except stripe_api.StripeError as problem:
            message = f"Stripe refused: {problem.user_message or problem}"
            error = True
    pinned = request.form.get("pinned", "").strip() or None
    if request.headers.get("HX-Request"):
        context = live.context(pinned, shown=user_id)
        status = 200 if not error else 422
        return render_template(
            "demo/_live.html",
            oob=True,
            message=message,
            message_error=error,
            **context,
        ), status
    flash(message, "error" if error else "success")
    return redirect(url_for("demo.console", user=pinned), code=303)


@bp.get("/api/journeys")
def journeys_api() -> ResponseReturnValue:
    """List every signup, newest first."""
    return jsonify(journeys=journeys())


@bp.get("/api/journey")
def journey_api() -> ResponseReturnValue:
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
def reset() -> ResponseReturnValue:
    """Offline: delete all demo data (after the form's confirmation box)."""
    _require_sandbox()
    if request.form.get("confirm") != "yes":
        message = "Nothing was deleted: tick the confirmation box to reset the demo."
        return render_template(
            "errors/error.html", code=400, title="Not reset", message=message
        ), 400
    lines = reset_demo_data()
    logout_user()
    _new_visitor_session()
    flash(
        f"Reset done: every signup, subscription and event deleted, the Stripe sandbox"
        f" emptied and its catalog recreated ({len(lines)} steps); this browser's"
        " invite and Cello cookies cleared and its session logged out.",
        "success",
    )
    response = redirect(url_for("demo.console"), code=303)
    _forget_browser(response)
    return response


@bp.post("/advance")
def advance() -> ResponseReturnValue:
    """Offline: move a subscription to its next period (renewal, end of the
    discount)."""
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
def confirm_fresh_visit() -> ResponseReturnValue:
    """Ask before forgetting this browser (a GET never logs anyone out)."""
    target = safe_local_path(request.args.get("to")) or url_for("landing.index")
    return render_template("demo/fresh_visit.html", target=target)


@bp.post("/fresh-visit")
def fresh_visit() -> ResponseReturnValue:
    """Forget this browser's Moonly session and referral cookies, then open the link."""
    target = safe_local_path(request.form.get("to")) or url_for("landing.index")
    if current_user.is_authenticated:
        end_sessions(current_user)
    logout_user()
    response = make_response(redirect(target, code=303))
    _new_visitor_session()
    _forget_browser(response)
    return response
