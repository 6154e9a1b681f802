"""shared Lever pacing buckets; webhook timestamps (epoch ms) as BIGINT

Revision ID: 5d6e99c25ce3
Revises: 79193e8447aa
Create Date: 2025-01-01 00:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '5d6e99c25ce3'
down_revision = '79193e8447aa'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'lever_pace_buckets',
        sa.Column('account_key', sa.String(length=200), nullable=False),
        sa.Column('tat', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('account_key'),
    )
    with op.batch_alter_table('lever_inbox', schema=None) as batch_op:
        batch_op.alter_column('triggered_at', existing_type=sa.Integer(), type_=sa.BigInteger(),
                              existing_nullable=False)
    with op.batch_alter_table('lever_opportunities', schema=None) as batch_op:
        batch_op.alter_column('lever_updated_at', existing_type=sa.Integer(), type_=sa.BigInteger(),
                              existing_nullable=True)


def downgrade():
    with op.batch_alter_table('lever_opportunities', schema=None) as batch_op:
        batch_op.alter_column('lever_updated_at', existing_type=sa.BigInteger(), type_=sa.Integer(),
                              existing_nullable=True)
    with op.batch_alter_table('lever_inbox', schema=None) as batch_op:
        batch_op.alter_column('triggered_at', existing_type=sa.BigInteger(), type_=sa.Integer(),
                              existing_nullable=False)
    op.drop_table('lever_pace_buckets')
