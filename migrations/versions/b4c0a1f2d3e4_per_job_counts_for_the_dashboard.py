"""per-job counts for the dashboard

`lever_job_counts`: per (organisation, posting, deleted) how many opportunities, how many invited, how
many not invited, invitations by attempt status and how many passed; kept up to date in the
transaction of each change (dashboard/lever/sync/job_counts.py). Filled here from the records.
Two indexes for the Overview's health card: the newest delivery per webhook event, and what waits in
the outbox by kind.

Revision ID: b4c0a1f2d3e4
Revises: b7c4e1a9d2f0
Create Date: 2026-12-01 04:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b4c0a1f2d3e4'
down_revision = 'b7c4e1a9d2f0'
branch_labels = None
depends_on = None

# reasons.NOT_INVITED when this was written: the decisions that invite nobody
NOT_INVITED = ("job_not_linked", "no_posting", "waiting_stage", "stage_unknown", "tag_near_miss",
               "assessment_unpublished", "archived", "hired", "backfill_held", "backfill_skipped", "email_unusable")


def upgrade():
    op.create_table('lever_job_counts',
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('posting_lever_id', sa.String(length=64), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('applied', sa.Integer(), nullable=False),
    sa.Column('with_invitation', sa.Integer(), nullable=False),
    sa.Column('not_invited', sa.Integer(), nullable=False),
    sa.Column('invited', sa.Integer(), nullable=False),
    sa.Column('in_progress', sa.Integer(), nullable=False),
    sa.Column('completed', sa.Integer(), nullable=False),
    sa.Column('expired', sa.Integer(), nullable=False),
    sa.Column('cancelled', sa.Integer(), nullable=False),
    sa.Column('passed', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_lever_job_counts_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('organisation_id', 'posting_lever_id', 'deleted', name=op.f('pk_lever_job_counts'))
    )
    op.create_index('ix_lever_inbox_organisation_event_received', 'lever_inbox',
                    ['organisation_id', 'event', 'received_at'], unique=False)
    op.create_index('ix_lever_effects_organisation_state_kind', 'lever_effects',
                    ['organisation_id', 'state', 'kind'], unique=False)
    statuses = ("invited", "in_progress", "completed", "expired", "cancelled")
    per_status = ", ".join(f"SUM(CASE WHEN a.status = '{s}' THEN 1 ELSE 0 END) AS {s}" for s in statuses)
    not_inviting = ", ".join(f"'{c}'" for c in NOT_INVITED)
    op.execute(f"""
        INSERT INTO lever_job_counts (organisation_id, posting_lever_id, deleted, applied, with_invitation,
                                      not_invited, {", ".join(statuses)}, passed)
        SELECT o.organisation_id, COALESCE(o.posting_lever_id, ''), o.deleted, COUNT(*),
               SUM(CASE WHEN i.n IS NOT NULL THEN 1 ELSE 0 END),
               SUM(CASE WHEN i.n IS NULL AND (o.reason_code IS NULL OR o.reason_code IN ({not_inviting}))
                   THEN 1 ELSE 0 END),
               {", ".join(f"COALESCE(SUM(i.{s}), 0)" for s in statuses)}, COALESCE(SUM(i.passed), 0)
        FROM lever_opportunities o
        LEFT JOIN (SELECT i.opportunity_id, COUNT(*) AS n, {per_status},
                          SUM(CASE WHEN a.status = 'completed' AND a.final_score >= a.passing_score
                              THEN 1 ELSE 0 END) AS passed
                   FROM lever_invitations i JOIN attempts a ON a.id = i.attempt_id
                   GROUP BY i.opportunity_id) i ON i.opportunity_id = o.id
        GROUP BY o.organisation_id, COALESCE(o.posting_lever_id, ''), o.deleted
    """)


def downgrade():
    op.drop_index('ix_lever_effects_organisation_state_kind', table_name='lever_effects')
    op.drop_index('ix_lever_inbox_organisation_event_received', table_name='lever_inbox')
    op.drop_table('lever_job_counts')
