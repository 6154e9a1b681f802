"""dashboard list indexes: candidates by status, score and lower-cased name; opportunities by job;
outbox rows by state

Revision ID: 02c425a9ed7c
Revises: ff96eac3c735
Create Date: 2026-11-28 17:05:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '02c425a9ed7c'
down_revision = 'ff96eac3c735'
branch_labels = None
depends_on = None

SCORE = sa.text("coalesce(final_score, -1)")


def upgrade():
    op.create_index('ix_attempts_organisation_status', 'attempts', ['organisation_id', 'status', 'id'])
    op.create_index('ix_attempts_organisation_score', 'attempts', ['organisation_id', SCORE, 'id'])
    op.create_index('ix_attempts_organisation_status_score', 'attempts', ['organisation_id', 'status', SCORE, 'id'])
    op.create_index('ix_candidates_organisation_lower_name', 'candidates', ['organisation_id', sa.text('lower(name)')])
    op.create_index('ix_lever_effects_organisation_state', 'lever_effects',
                    ['organisation_id', 'state', 'opportunity_id'])
    op.create_index('ix_lever_opportunities_organisation_id_id', 'lever_opportunities', ['organisation_id', 'id'])
    op.create_index('ix_lever_opportunities_organisation_posting', 'lever_opportunities',
                    ['organisation_id', 'posting_lever_id', 'id'])


def downgrade():
    for table, name in (('lever_opportunities', 'ix_lever_opportunities_organisation_posting'),
                        ('lever_opportunities', 'ix_lever_opportunities_organisation_id_id'),
                        ('lever_effects', 'ix_lever_effects_organisation_state'),
                        ('candidates', 'ix_candidates_organisation_lower_name'),
                        ('attempts', 'ix_attempts_organisation_status_score'),
                        ('attempts', 'ix_attempts_organisation_score'),
                        ('attempts', 'ix_attempts_organisation_status')):
        op.drop_index(name, table_name=table)
