"""The offline Stripe keeps its own database: drop its tables from the app's; keep the
webhook endpoint the app registers with it

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 20:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('local_webhook_endpoints',
    sa.Column('id', sa.String(length=255), nullable=False),
    sa.Column('url', sa.String(length=2048), nullable=False),
    sa.Column('secret', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_local_webhook_endpoints'))
    )
    # The sandbox now creates these in its own database on first use.
    op.drop_table('sandbox_objects')
    op.drop_table('sandbox_idempotency_keys')
    op.drop_table('sandbox_events')


def downgrade():
    op.create_table('sandbox_events',
    sa.Column('id', sa.String(length=255), nullable=False),
    sa.Column('type', sa.String(length=128), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('created_ns', sa.BigInteger(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.BigInteger(), nullable=True),
    sa.Column('claimed_until', sa.BigInteger(), nullable=True),
    sa.Column('delivered_at', sa.BigInteger(), nullable=True),
    sa.Column('last_status', sa.Integer(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sandbox_events'))
    )
    with op.batch_alter_table('sandbox_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sandbox_events_created_ns'), ['created_ns'], unique=False)
        batch_op.create_index(batch_op.f('ix_sandbox_events_next_attempt_at'), ['next_attempt_at'], unique=False)
    op.create_table('sandbox_idempotency_keys',
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('status', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_sandbox_idempotency_keys'))
    )
    op.create_table('sandbox_objects',
    sa.Column('id', sa.String(length=255), nullable=False),
    sa.Column('object', sa.String(length=64), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('created_ns', sa.BigInteger(), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('email', sa.String(length=512), nullable=True),
    sa.Column('lookup_key', sa.String(length=255), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sandbox_objects')),
    sa.UniqueConstraint('lookup_key', name=op.f('uq_sandbox_objects_lookup_key'))
    )
    with op.batch_alter_table('sandbox_objects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sandbox_objects_created_ns'), ['created_ns'], unique=False)
        batch_op.create_index(batch_op.f('ix_sandbox_objects_email'), ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_sandbox_objects_object'), ['object'], unique=False)
    op.drop_table('local_webhook_endpoints')
