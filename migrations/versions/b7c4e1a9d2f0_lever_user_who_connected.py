"""the Lever user who connected; who invited an attempt by hand

`lever_connections.lever_user_id`: the token's userId claim at consent, so the card names the Lever user
(and their email, from the cached user list) instead of showing the account's id. Nullable: connections
made before keep showing the id until they reconnect. `attempts.invited_by_id`: the staff member who
invited by hand, told the final result by email (NULL for invitations the ATS made, and for older ones).

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
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('invited_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_attempts_invited_by_id_users'), 'users', ['invited_by_id'], ['id'])


def downgrade():
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_attempts_invited_by_id_users'), type_='foreignkey')
        batch_op.drop_column('invited_by_id')
    with op.batch_alter_table('lever_connections', schema=None) as batch_op:
        batch_op.drop_column('lever_user_id')
