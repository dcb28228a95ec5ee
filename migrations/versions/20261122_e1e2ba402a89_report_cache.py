"""Report cache: rendered report outputs per wave, kind and language.

Revision ID: e1e2ba402a89
Revises: b91ef2a86e37
Create Date: 2026-11-22 15:59:05.103184
"""

import sqlalchemy as sa
from alembic import op

revision = 'e1e2ba402a89'
down_revision = 'b91ef2a86e37'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('report_cache',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('wave_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('state', sa.String(length=64), nullable=False),
    sa.Column('payload', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['wave_id'], ['wave.id'], name=op.f('fk_report_cache_wave_id_wave'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_cache')),
    sa.UniqueConstraint('wave_id', 'kind', 'language', name=op.f('uq_report_cache_wave_id_kind_language'))
    )


def downgrade():
    op.drop_table('report_cache')
