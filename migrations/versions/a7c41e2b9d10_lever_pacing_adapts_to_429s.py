"""Lever pacing adapts to 429s: the cut rate, when it was cut, and the Retry-After block per account

Revision ID: a7c41e2b9d10
Revises: 3b1f0c9d2a47
Create Date: 2026-12-01 04:50:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a7c41e2b9d10'
down_revision = '3b1f0c9d2a47'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('lever_pace_buckets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cut_rate', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('cut_at', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('blocked_until', sa.Float(), nullable=True))


def downgrade():
    with op.batch_alter_table('lever_pace_buckets', schema=None) as batch_op:
        batch_op.drop_column('blocked_until')
        batch_op.drop_column('cut_at')
        batch_op.drop_column('cut_rate')
