from helpers import sandbox_session
from sqlalchemy import func, select

from moonly.stripe_sandbox.models import SandboxObject


def count_objects(app):
    with sandbox_session(app) as session:
        return dict(
            session.execute(
                select(SandboxObject.object, func.count()).group_by(
                    SandboxObject.object
                )
            ).all()
        )


def test_bootstrap_creates_the_catalog_once(app, runner, stripe):
    first = runner.invoke(args=["stripe", "bootstrap"])
    assert first.exit_code == 0, first.output
    assert "created  coupon moonly-new-user" in first.output
    assert count_objects(app) == {
        "coupon": 1,
        "product": 2,
        "price": 4,
        "webhook_endpoint": 1,  # the app's own, registered like any other
        "billing_portal.configuration": 1,
    }
    second = runner.invoke(args=["stripe", "bootstrap"])
    assert "created" not in second.output
    assert count_objects(app) == {
        "coupon": 1,
        "product": 2,
        "price": 4,
        "webhook_endpoint": 1,  # the app's own, registered like any other
        "billing_portal.configuration": 1,
    }

    prices = stripe.v1.prices.list(
        params={
            "lookup_keys": [
                "moonly_starter_monthly",
                "moonly_pro_monthly",
                "moonly_starter_yearly",
                "moonly_pro_yearly",
            ]
        }
    ).data
    amounts = {
        p.lookup_key: (p.unit_amount, p.currency, p.recurring.interval) for p in prices
    }
    assert amounts == {
        "moonly_starter_monthly": (1200, "usd", "month"),
        "moonly_pro_monthly": (2900, "usd", "month"),
        "moonly_starter_yearly": (12000, "usd", "year"),
        "moonly_pro_yearly": (29000, "usd", "year"),
    }
    names = {stripe.v1.products.retrieve(p.product).name for p in prices}
    assert names == {"Moonly Starter", "Moonly Pro"}
    coupon = stripe.v1.coupons.retrieve("moonly-new-user")
    assert (coupon.percent_off, coupon.duration, coupon.duration_in_months) == (
        20.0,
        "repeating",
        3,
    )


def test_bootstrap_completes_a_half_made_catalog(app, runner, stripe):
    product = stripe.v1.products.create(
        params={"name": "Moonly Pro", "metadata": {"moonly_plan": "pro"}}
    )
    runner.invoke(args=["stripe", "bootstrap"])
    assert count_objects(app)["product"] == 2
    pro = stripe.v1.prices.list(params={"lookup_keys": ["moonly_pro_monthly"]}).data[0]
    assert pro.product == product.id


def test_bootstrap_warns_about_a_coupon_with_other_terms(runner, stripe):
    stripe.v1.coupons.create(params={"id": "moonly-new-user", "percent_off": 50})
    result = runner.invoke(args=["stripe", "bootstrap"])
    assert "WARNING  coupon moonly-new-user exists with other terms" in result.output


def test_sandbox_reset_needs_confirmation(app, runner, catalog):
    aborted = runner.invoke(args=["stripe", "sandbox-reset"], input="n\n")
    assert aborted.exit_code == 1
    assert count_objects(app) != {}
    done = runner.invoke(args=["stripe", "sandbox-reset", "--yes"])
    assert done.exit_code == 0
    assert count_objects(app) == {}
