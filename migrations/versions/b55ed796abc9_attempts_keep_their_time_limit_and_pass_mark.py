"""attempts keep their time limit and pass mark; validity window; drift check state

Each attempt gets the time limit and passing score of its assessment (backfilled from the assessment
for existing rows: later edits of an assessment apply to new attempts only), and `valid_from`, the
start of its validity window (backfilled from `invited_at`). An index on (status, deadline) lets the
per-minute invitations job read only what is due. Lever opportunities record the status tag last
written and when the drift check last compared them with Lever.

The new NOT NULL columns are added with a constant server default and filled by UPDATE, so that
SQLite adds them with ALTER TABLE instead of rebuilding `attempts` (a rebuild would lose its
expression indexes); PostgreSQL then drops the defaults, which the models do not have.

Revision ID: b55ed796abc9
Revises: db7f2ccf6ae6
Create Date: 2026-12-01 02:00:55.270428

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b55ed796abc9'
down_revision = 'db7f2ccf6ae6'
branch_labels = None
depends_on = None

NEW_ATTEMPT_COLUMNS = (
    sa.Column('valid_from', sa.DateTime(timezone=True), nullable=False, server_default='2000-01-01 00:00:00'),
    sa.Column('time_limit_minutes', sa.Integer(), nullable=False, server_default='60'),
    sa.Column('passing_score', sa.Float(), nullable=False, server_default='50'),
)


def upgrade():
    for column in NEW_ATTEMPT_COLUMNS:
        op.add_column('attempts', column)
    op.execute(sa.text(
        "UPDATE attempts SET valid_from = invited_at, "
        "time_limit_minutes = (SELECT a.time_limit_minutes FROM assessments a WHERE a.id = attempts.assessment_id), "
        "passing_score = (SELECT a.passing_score FROM assessments a WHERE a.id = attempts.assessment_id)"))
    if op.get_context().dialect.name != 'sqlite':
        for column in NEW_ATTEMPT_COLUMNS:
            op.alter_column('attempts', column.name, server_default=None)
    op.create_index('ix_attempts_status_deadline', 'attempts', ['status', 'deadline'], unique=False)

    op.add_column('lever_opportunities', sa.Column('status_written', sa.String(length=32), nullable=True))
    op.add_column('lever_opportunities', sa.Column('status_written_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('lever_opportunities', sa.Column('last_checked_at', sa.DateTime(timezone=True), nullable=True))
    op.create_index('ix_lever_opportunities_checked', 'lever_opportunities', ['connection_id', 'last_checked_at'],
                    unique=False)


def downgrade():
    op.drop_index('ix_lever_opportunities_checked', table_name='lever_opportunities')
    for name in ('last_checked_at', 'status_written_at', 'status_written'):
        op.drop_column('lever_opportunities', name)
    op.drop_index('ix_attempts_status_deadline', table_name='attempts')
    for column in reversed(NEW_ATTEMPT_COLUMNS):
        op.drop_column('attempts', column.name)
