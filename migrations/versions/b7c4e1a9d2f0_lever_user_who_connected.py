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
    op.add_column('lever_connections', sa.Column('lever_user_id', sa.String(length=100), nullable=True))
    if op.get_context().dialect.name == 'sqlite':
        # ADD COLUMN with its reference in place: a batch rebuild of `attempts` would drop the expression
        # indexes the candidates list relies on.
        op.execute('ALTER TABLE attempts ADD COLUMN invited_by_id INTEGER '
                   'CONSTRAINT fk_attempts_invited_by_id_users REFERENCES users (id)')
    else:
        op.add_column('attempts', sa.Column('invited_by_id', sa.Integer(), nullable=True))
        op.create_foreign_key('fk_attempts_invited_by_id_users', 'attempts', 'users', ['invited_by_id'], ['id'])


def downgrade():
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        if op.get_context().dialect.name != 'sqlite':  # SQLite's rebuild leaves the reference out itself
            batch_op.drop_constraint('fk_attempts_invited_by_id_users', type_='foreignkey')
        batch_op.drop_column('invited_by_id')
    with op.batch_alter_table('lever_connections', schema=None) as batch_op:
        batch_op.drop_column('lever_user_id')
