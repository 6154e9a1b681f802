"""the Lever user who connected

`lever_connections.lever_user_id`: the token's userId claim at consent, so the card names the Lever user
(and their email, from the cached user list) instead of showing the account's id. Nullable: connections
made before keep showing the id until they reconnect.

Revision ID: b7c4e1a9d2f0
Revises: 6e73801b18a3
Create Date: 2026-12-01 05:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7c4e1a9d2f0'
down_revision = '6e73801b18a3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('lever_connections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lever_user_id', sa.String(length=100), nullable=True))


def downgrade():
    with op.batch_alter_table('lever_connections', schema=None) as batch_op:
        batch_op.drop_column('lever_user_id')
