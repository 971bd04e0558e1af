"""Session version on users; the replaced invite on invite visits

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 20:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='0', nullable=False))

    with op.batch_alter_table('invite_visits', schema=None) as batch_op:
        batch_op.add_column(sa.Column('replaced_ucc', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('invite_visits', schema=None) as batch_op:
        batch_op.drop_column('replaced_ucc')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_version')
