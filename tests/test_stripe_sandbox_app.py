"""The app and its offline Stripe: a database of the sandbox's own, reached only through
`billing/stripe_api.py`."""

from sqlalchemy import inspect


def test_state_survives_a_restart_and_stays_in_its_own_database(make_app, tmp_path):
    first = make_app()
    with first.app_context():
        from moonly.billing import stripe_api

        customer_id = (
            stripe_api.client()
            .v1.customers.create(params={"email": "p@example.com"})
            .id
        )
    restarted = make_app()
    with restarted.app_context():
        assert (
            stripe_api.client().v1.customers.retrieve(customer_id).email
            == "p@example.com"
        )


def test_another_database_has_its_own_sandbox(make_app, tmp_path):
    from helpers import migrate_database as _migrate

    other = f"sqlite:///{tmp_path / 'other.sqlite3'}"
    _migrate(other)
    first = make_app()
    second = make_app(SQLALCHEMY_DATABASE_URI=other)
    from moonly.billing import stripe_api

    with first.app_context():
        stripe_api.client().v1.customers.create(
            params={"email": "only-here@example.com"}
        )
    with second.app_context():
        assert stripe_api.client().v1.customers.list().data == []


def test_the_apps_database_holds_none_of_the_sandboxs_tables(app, stripe):
    from moonly.extensions import db

    stripe.v1.customers.create(params={"email": "apart@example.com"})
    with app.app_context():
        tables = set(inspect(db.engine).get_table_names())
    assert not {t for t in tables if t.startswith("sandbox_")}
