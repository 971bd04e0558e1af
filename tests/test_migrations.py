from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from moonly.extensions import db


def test_migrations_create_exactly_the_models_tables(app):
    with app.app_context(), db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert diff == []
