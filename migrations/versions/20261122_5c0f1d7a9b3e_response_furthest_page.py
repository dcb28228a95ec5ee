"""Response: the highest page saved, so unvisited pages are shown without a query.

Revision ID: 5c0f1d7a9b3e
Revises: e1e2ba402a89
Create Date: 2026-11-22 18:20:00

Existing responses get NULL ("unknown"): their pages are always read, as before.
"""

import sqlalchemy as sa
from alembic import op

revision = '5c0f1d7a9b3e'
down_revision = 'e1e2ba402a89'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.add_column(sa.Column('furthest_page', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_column('furthest_page')
