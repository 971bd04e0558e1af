"""Pricing, checkout and the account page."""

from __future__ import annotations

import json
from dataclasses import dataclass

from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required, logout_user

from ..accounts.models import User
from ..accounts.service import authenticate
from ..billing import account as billing_account
from ..billing import account_deletion, stripe_api
from ..billing import hosted_checkout as hosted_checkout_flow
from ..billing import portal as billing_portal
from ..billing.catalog import (
    PLANS,
    CatalogPrice,
    Offer,
    Plan,
    money,
    new_user_offer,
    prices,
)
from ..billing.checkout import (
    AlreadySubscribed,
    CardRefused,
    CheckoutError,
    active_subscription,
    cancel_at_period_end,
    offer_for,
    quote,
    start_subscription,
)
from ..referral.invites import current_invite, ucc_from_cookie
from . import bp
from .forms import CheckoutForm, DeleteAccountForm, HostedCheckoutForm, new_attempt


@dataclass(frozen=True)
class PriceView:
    lookup_key: str
    amount: str
    interval: str
    summary: str
    discounted: bool


@dataclass(frozen=True)
class PlanView:
    name: str
    tagline: str
    features: tuple[str, ...]
    highlight: bool
    monthly: PriceView | None
    yearly: PriceView | None


def _price_view(price: CatalogPrice | None, offer: Offer | None) -> PriceView | None:
    if price is None:
        return None
    q = quote(price, offer)
    return PriceView(
        price.lookup_key,
        money(price.unit_amount),
        price.interval,
        q.summary,
        q.discounted,
    )


def _visitor_offer() -> Offer | None:
    if current_user.is_authenticated:
        return offer_for(current_user)
    if current_invite() or ucc_from_cookie():
        return new_user_offer()
    return None


@bp.get("/pricing")
def pricing() -> ResponseReturnValue:
    """Show the four plans, with the referral offer for a referred visitor."""
    offer = _visitor_offer()
    try:
        catalog = prices()
    except stripe_api.StripeError:
        message = "Prices are unavailable right now: Stripe could not be reached."
        return render_template(
            "checkout/pricing.html", plans=[], offer=offer, catalog_error=message
        ), 503

    def view(plan: Plan) -> PlanView:
        return PlanView(
            plan.name,
            plan.tagline,
            plan.features,
            plan.highlight,
            _price_view(catalog.get(plan.lookup_key("month")), offer),
            _price_view(catalog.get(plan.lookup_key("year")), offer),
        )

    return render_template(
        "checkout/pricing.html",
        plans=[view(plan) for plan in PLANS],
        offer=offer,
        catalog_error=None,
    )


def _price_or_404(lookup_key: str) -> CatalogPrice:
    try:
        price = prices().get(lookup_key)
    except stripe_api.StripeError:
        abort(503)
    if price is None:
        abort(404)
    return price


@bp.route("/checkout/<lookup_key>", methods=["GET", "POST"])
@login_required
def checkout(lookup_key: str) -> ResponseReturnValue:
    """Show a plan's price for this user, and subscribe them with a test card."""
    price = _price_or_404(lookup_key)
    if active_subscription(current_user) is not None:
        flash("You already have a plan. Here it is.", "info")
        return redirect(url_for("checkout.account"))
    form = CheckoutForm()
    error = None
    if form.validate_on_submit():
        try:
            start_subscription(
                current_user,
                price,
                form.payment_method.data,
                form.attempt.data or "",  # InputRequired: never None here
            )
        except AlreadySubscribed:
            return redirect(url_for("checkout.account"))
        except CardRefused as failure:
            error = str(failure)
            # Not the card that was just refused: the default one, as on a fresh page.
            form.payment_method.data = form.payment_method.default
        except CheckoutError as failure:
            error = str(failure)
        else:
            flash(f"You are subscribed to Moonly {price.plan.name}.", "success")
            return redirect(url_for("checkout.account"))
    if error or not form.is_submitted():
        form.attempt.data = new_attempt()  # a new card is a new attempt
    status = 402 if error else (400 if form.is_submitted() else 200)
    return _checkout_page(price, form, HostedCheckoutForm(), error, status)


def _checkout_page(
    price: CatalogPrice,
    form: CheckoutForm,
    hosted_form: HostedCheckoutForm,
    error: str | None,
    status: int,
) -> ResponseReturnValue:
    if not hosted_form.attempt.data or error:
        hosted_form.attempt.data = new_attempt()
    offer = offer_for(current_user)
    return render_template(
        "checkout/checkout.html",
        plan_name=price.plan.name,
        price=_price_view(price, offer),
        quote=quote(price, offer),
        offer=offer,
        form=form,
        hosted_form=hosted_form,
        error=error,
        trial_days=current_app.config["MOONLY_TRIAL_DAYS"],
    ), status


@bp.post("/checkout/<lookup_key>/hosted")
@login_required
def hosted_checkout(lookup_key: str) -> ResponseReturnValue:
    """Open a Stripe Checkout Session for the plan and send the user to its page."""
    price = _price_or_404(lookup_key)
    hosted_form = HostedCheckoutForm()
    form = CheckoutForm(formdata=None)
    form.attempt.data = new_attempt()
    if not hosted_form.validate_on_submit():
        return _checkout_page(price, form, hosted_form, None, 400)
    try:
        url = hosted_checkout_flow.open_session(
            current_user,
            price,
            hosted_form.attempt.data or "",  # InputRequired: never None here
            success_url=url_for("checkout.success", _external=True)
            + "?session_id={CHECKOUT_SESSION_ID}",
            cancel_url=url_for(
                "checkout.checkout", lookup_key=lookup_key, _external=True
            ),
        )
    except AlreadySubscribed:
        flash("You already have a plan. Here it is.", "info")
        return redirect(url_for("checkout.account"))
    except CheckoutError as failure:
        return _checkout_page(price, form, hosted_form, str(failure), 503)
    return redirect(url, code=303)


@bp.get("/checkout/success")
@login_required
def success() -> ResponseReturnValue:
    """After Stripe's Checkout page: what was paid, read from Stripe, never the URL."""
    try:
        session = hosted_checkout_flow.finished_session(
            current_user, request.args.get("session_id", "")
        )
    except stripe_api.StripeError:
        abort(503)
    if session is None:
        abort(404)
    row = billing_account.current_subscription(current_user)
    return render_template(
        "checkout/success.html",
        paid=session.status == "complete",
        amount=money(session.amount_total or 0),
        subscription=billing_account.subscription_view(row) if row else None,
    )


@bp.get("/account")
@login_required
def account() -> ResponseReturnValue:
    """Show the signed-in user's account, plan and invoices."""
    return _account_page(DeleteAccountForm())


def _account_page(
    delete_form: DeleteAccountForm, status: int = 200
) -> ResponseReturnValue:
    user = current_user
    if user.stripe_customer_id:
        customer_status = f"Stripe customer {user.stripe_customer_id}"
    elif user.stripe_customer_error:
        customer_status = (
            "Billing profile pending: Stripe could not be reached; we will retry."
        )
    else:
        customer_status = (
            "No billing profile yet: it is created at your first purchase."
        )
    row = billing_account.current_subscription(user)
    next_invoice, next_invoice_error = None, None
    if row is not None:
        try:
            next_invoice = billing_account.next_invoice(user, row)
        except stripe_api.StripeError:
            next_invoice_error = "The next invoice cannot be shown right now."
    return render_template(
        "checkout/account.html",
        organization_name=user.organization.name if user.organization else None,
        referral={"ucc": user.ucc, "source": user.ucc_source} if user.ucc else None,
        customer_status=customer_status,
        subscription=billing_account.subscription_view(row) if row else None,
        next_invoice=next_invoice,
        next_invoice_error=next_invoice_error,
        invoices=billing_account.invoices(user),
        refunds=billing_account.refunds(user),
        delete_form=delete_form,
    ), status


@bp.post("/account/delete")
@login_required
def delete_account() -> ResponseReturnValue:
    """Delete the account after the password is typed again; log out."""
    form = DeleteAccountForm()
    user: User = current_user._get_current_object()
    if not form.validate_on_submit():
        return _account_page(form, 400)
    if authenticate(user.email, form.password.data or "") is not user:
        form.password.errors = ["That password is not right."]
        return _account_page(form, 400)
    finished = account_deletion.delete_account(user)
    logout_user()
    if finished:
        flash("Your account is deleted. Thank you for trying Moonly.", "success")
    else:
        flash(
            "Your account is deleted. Stripe could not be reached, so your billing "
            "profile there is deleted automatically as soon as it answers.",
            "info",
        )
    return redirect(url_for("landing.index"), code=303)


@bp.get("/account/export")
@login_required
def export() -> ResponseReturnValue:
    """Download everything Moonly keeps about the signed-in user, as JSON."""
    body = json.dumps(billing_account.export_data(current_user), indent=2)
    response = make_response(body)
    response.headers["Content-Type"] = "application/json"
    response.headers["Content-Disposition"] = (
        'attachment; filename="moonly-my-data.json"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/account/billing")
@login_required
def manage_billing() -> ResponseReturnValue:
    """Open Stripe's customer portal: switch plan, cancel, change card, invoices."""
    try:
        url = billing_portal.session_url(
            current_user, url_for("checkout.account", _external=True)
        )
    except stripe_api.StripeError:
        flash("Stripe could not be reached. Nothing changed; try again.", "error")
        return redirect(url_for("checkout.account"), code=303)
    if url is None:
        flash(
            "You have no billing profile yet: it is made with your first plan.", "info"
        )
        return redirect(url_for("checkout.account"), code=303)
    return redirect(url, code=303)


@bp.post("/account/cancel")
@login_required
def cancel() -> ResponseReturnValue:
    """Cancel the plan at the end of the paid period."""
    try:
        row = cancel_at_period_end(current_user)
    except CheckoutError as failure:
        flash(str(failure), "error")
    else:
        if row is None:
            flash("You have no active plan to cancel.", "info")
        else:
            flash("Your plan will end when the paid period ends.", "success")
    return redirect(url_for("checkout.account"))
