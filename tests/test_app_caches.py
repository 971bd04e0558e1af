"""The app's caches (moonly/caching.py): what they keep, their bounds, what a failed
refresh serves, and one clear() that empties them all."""

import logging

import pytest

from moonly import caching, security
from moonly.billing import stripe_api
from moonly.billing.catalog import (
    NEW_USER_COUPON_ID,
    OFFER_CACHE_SECONDS,
    bootstrap,
    new_user_offer,
    prices,
)
from moonly.caching import Refreshed
from moonly.landing import views as landing_views
from moonly.landing.views import PAGE_CACHE_SIZE
from moonly.referral import invites as referral


class Down(Exception):
    pass


def test_a_refreshed_value_is_read_once_while_fresh():
    reads = []
    cache: Refreshed[int] = Refreshed("answer", ttl=60, keep=lambda v: True)
    assert cache.get(lambda: reads.append(1) or 42, Down) == 42
    assert cache.get(lambda: reads.append(1) or 43, Down) == 42
    assert reads == [1]
    cache.clear()
    assert cache.get(lambda: 44, Down) == 44


def test_a_failed_refresh_serves_the_last_value_and_reads_again_next_time(caplog):
    cache: Refreshed[str] = Refreshed("plans", ttl=0, keep=lambda v: True)

    def down() -> str:
        raise Down

    with pytest.raises(Down):
        cache.get(down, Down)  # nothing kept yet: the error itself
    assert cache.get(lambda: "first", Down) == "first"
    with caplog.at_level(logging.WARNING, logger="moonly.caching"):
        assert cache.get(down, Down) == "first"
    assert "Could not refresh plans: Down" in caplog.text
    assert cache.get(lambda: "second", Down) == "second"
    with pytest.raises(KeyError):  # not an outage: not hidden
        cache.get(lambda: {}["x"], Down)


def test_an_answer_not_worth_keeping_is_not_kept():
    cache: Refreshed[dict] = Refreshed("prices", ttl=60, keep=bool)
    assert cache.get(lambda: {}, Down) == {}
    assert cache.get(lambda: {"a": 1}, Down) == {"a": 1}  # read again
    assert cache.get(lambda: {"b": 2}, Down) == {"a": 1}  # kept now


def test_the_offer_comes_from_the_cache_until_clear(app, catalog, stripe):
    with app.app_context():
        offer = new_user_offer()
        assert offer is not None and offer.percent_off == 20
        stripe.v1.coupons.delete(NEW_USER_COUPON_ID)
        assert new_user_offer() == offer  # cached for a few minutes
        caching.clear()
        assert new_user_offer() is None  # read again: gone from Stripe


def test_prices_survive_stripe_failing_after_they_were_read(app, catalog, sandbox):
    with app.app_context():
        first = prices()
        assert len(first) == 4
        caching.refreshed("prices", 0).ttl = 0  # stale at once: every call reads
        sandbox.faults.fail_next(1, "server_error")
        assert prices() == first  # the last prices read, not an error
        caching.clear()
        sandbox.faults.fail_next(1, "server_error")
        with pytest.raises(stripe_api.StripeError):
            prices()  # nothing kept: the page says Stripe failed


def test_without_the_coupon_readable_there_is_no_offer(app, sandbox):
    with app.app_context():
        sandbox.faults.fail_next(1, "server_error")
        assert new_user_offer() is None


def test_clear_empties_every_cache(app, client, catalog):
    assert client.get("/?ucc=clear1&referrerName=Alice").status_code == 200
    assert client.get("/favicon.svg").status_code == 200
    memoized = [
        referral._invite_for_query,
        referral._invite_cookie_header,
        security._inline_style,
        landing_views._icon,
    ]
    assert all(len(f.cache) for f in memoized)
    with app.app_context():
        prices()
        kept = app.extensions[caching.EXTENSION]
        assert set(kept) == {"prices", "new-user offer", "landing pages"}
        refreshed = [kept["prices"], kept["new-user offer"]]
        assert all(cache._kept is not None for cache in refreshed)
        assert len(kept["landing pages"].cache) == 1
        caching.clear()
        assert all(cache._kept is None for cache in refreshed)
        assert len(kept["landing pages"].cache) == 0
    assert not any(len(f.cache) for f in memoized)


def test_a_landing_page_is_rendered_once_per_referrer_and_offer(app, client):
    first = client.get("/?ucc=page1&referrerName=Alice").data
    with app.app_context():
        pages = caching.memo("landing pages", 256)
        (key,) = pages.cache
        pages.cache[key] = b"kept"  # what the next visit gets, unrendered
    assert client.get("/?ucc=page2&referrerName=Alice").data == b"kept"
    assert client.get("/?ucc=page3&referrerName=Bob").data != b"kept"
    with app.app_context():
        caching.clear()
    assert client.get("/?ucc=page4&referrerName=Alice").data == first


def test_the_demo_reset_and_the_bootstrap_clear_the_caches(app, client, catalog):
    client.get("/?ucc=reset1")
    assert len(referral._invite_for_query.cache) == 1
    from moonly.demo.reset import reset_demo_data

    with app.test_request_context("/demo/reset", method="POST"):
        reset_demo_data()
    assert len(referral._invite_for_query.cache) == 0
    client.get("/?ucc=reset2")
    with app.app_context():
        bootstrap()
    assert len(referral._invite_for_query.cache) == 0


def test_bounds_are_the_ones_the_caches_always_had(app, client):
    assert referral._invite_for_query.cache.maxsize == referral.INVITES_CACHED == 1024
    assert referral._invite_cookie_header.cache.maxsize == 256
    assert isinstance(security._inline_style.cache, dict)  # two stylesheets
    assert OFFER_CACHE_SECONDS == 300
    client.get("/")
    with app.app_context():
        pages = app.extensions[caching.EXTENSION]["landing pages"]
        assert pages.cache.maxsize == PAGE_CACHE_SIZE == 256
