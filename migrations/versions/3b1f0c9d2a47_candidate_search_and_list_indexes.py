"""candidate search columns, trigram indexes, attempts.source and the one list's keyset indexes

`candidates.search_text` and `lever_opportunities.search_text`: name and email lower-cased with accents
stripped (`dashboard.core.search.normalise`), filled here for existing rows and by the models on every
write. On PostgreSQL the pg_trgm extension and a GIN trigram index on each column answer
`LIKE '%term%'`; on SQLite that part is skipped (the list scans the column there). B-tree indexes for
the list's orders (name, newest) on both engines; the prefix-search index on lower(name) goes.
`attempts.source`: "lever" for attempts the integration created (those a Lever invitation points at),
"direct" for invitations by hand, which the list shows on their own.

Revision ID: 3b1f0c9d2a47
Revises: b4c0a1f2d3e4
Create Date: 2026-12-01 04:40:00

"""
import unicodedata

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '3b1f0c9d2a47'
down_revision = 'b4c0a1f2d3e4'
branch_labels = None
depends_on = None

BATCH = 5000


def normalise(*parts):
    """As `dashboard.core.search.normalise` was when this revision was written."""
    text = " ".join(p for p in parts if p)
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(ch for ch in decomposed if not unicodedata.combining(ch)).split())


def _fill(table: str) -> None:
    """search_text of every existing row, in batches by id."""
    bind = op.get_bind()
    t = sa.table(table, sa.column('id', sa.Integer), sa.column('name', sa.String),
                 sa.column('email', sa.String), sa.column('search_text', sa.String))
    last = 0
    while True:
        rows = bind.execute(sa.select(t.c.id, t.c.name, t.c.email).where(t.c.id > last)
                            .order_by(t.c.id).limit(BATCH)).all()
        if not rows:
            return
        bind.execute(t.update().where(t.c.id == sa.bindparam('row_id')).values(search_text=sa.bindparam('text')),
                     [{'row_id': r.id, 'text': normalise(r.name, r.email)} for r in rows])
        last = rows[-1].id


def upgrade():
    with op.batch_alter_table('candidates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_text', sa.String(length=460), server_default='', nullable=False))
    with op.batch_alter_table('lever_opportunities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_text', sa.String(length=560), server_default='', nullable=False))
    _fill('candidates')
    _fill('lever_opportunities')
    op.drop_index('ix_candidates_organisation_lower_name', table_name='candidates')
    op.create_index('ix_candidates_organisation_search', 'candidates', ['organisation_id', 'search_text', 'id'])
    op.create_index('ix_lever_opportunities_organisation_search', 'lever_opportunities',
                    ['organisation_id', 'search_text', 'id'])
    op.create_index('ix_lever_opportunities_organisation_seen', 'lever_opportunities',
                    ['organisation_id', 'first_seen_at', 'id'])
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=10), server_default='direct', nullable=False))
    op.execute("UPDATE attempts SET source = 'lever' WHERE id IN (SELECT attempt_id FROM lever_invitations)")
    op.create_index('ix_attempts_organisation_source_invited', 'attempts',
                    ['organisation_id', 'source', 'invited_at', 'id'])
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
        op.create_index('ix_candidates_search_trgm', 'candidates', ['search_text'], unique=False,
                        postgresql_using='gin', postgresql_ops={'search_text': 'gin_trgm_ops'})
        op.create_index('ix_lever_opportunities_search_trgm', 'lever_opportunities', ['search_text'], unique=False,
                        postgresql_using='gin', postgresql_ops={'search_text': 'gin_trgm_ops'})


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_index('ix_lever_opportunities_search_trgm', table_name='lever_opportunities')
        op.drop_index('ix_candidates_search_trgm', table_name='candidates')
    op.drop_index('ix_attempts_organisation_source_invited', table_name='attempts')
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.drop_column('source')
    if op.get_bind().dialect.name == 'sqlite':  # a rebuilt table lost its expression indexes
        op.execute('CREATE INDEX IF NOT EXISTS ix_attempts_organisation_score '
                   'ON attempts (organisation_id, coalesce(final_score, -1), id)')
        op.execute('CREATE INDEX IF NOT EXISTS ix_attempts_organisation_status_score '
                   'ON attempts (organisation_id, status, coalesce(final_score, -1), id)')
    op.drop_index('ix_lever_opportunities_organisation_seen', table_name='lever_opportunities')
    op.drop_index('ix_lever_opportunities_organisation_search', table_name='lever_opportunities')
    op.drop_index('ix_candidates_organisation_search', table_name='candidates')
    with op.batch_alter_table('lever_opportunities', schema=None) as batch_op:
        batch_op.drop_column('search_text')
    with op.batch_alter_table('candidates', schema=None) as batch_op:
        batch_op.drop_column('search_text')
    # after the table is rebuilt (SQLite): a rebuild does not carry expression indexes over
    op.create_index('ix_candidates_organisation_lower_name', 'candidates', ['organisation_id', sa.text('lower(name)')])
