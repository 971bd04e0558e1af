"""Users: count the Stripe customers deleted in Stripe (the next one gets a new
idempotency key), and when the user deleted the account

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 20:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stripe_customers_deleted', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('deletion_finished_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('deletion_finished_at')
        batch_op.drop_column('deleted_at')
        batch_op.drop_column('stripe_customers_deleted')
