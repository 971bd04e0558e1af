"""Payment attempts: what Stripe answered when it refused a card at Moonly's checkout

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 23:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'payment_attempts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('customer_id', sa.String(length=255), nullable=False),
        sa.Column('lookup_key', sa.String(length=255), nullable=True),
        sa.Column('code', sa.String(length=64), nullable=True),
        sa.Column('decline_code', sa.String(length=64), nullable=True),
        sa.Column('message', sa.String(length=500), nullable=False),
        sa.Column('payment_intent', sa.String(length=255), nullable=True),
        sa.Column('charge', sa.String(length=255), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('payment_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_attempts_customer_id'), ['customer_id'], unique=False)


def downgrade():
    with op.batch_alter_table('payment_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_attempts_customer_id'))
    op.drop_table('payment_attempts')
