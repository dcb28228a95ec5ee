"""Cuts by roster attributes: the wave's choice (wave.cuts), a release's results by attribute (release.cuts).

Revision ID: e5a0c7d9f345
Revises: d4fab6c8e234
Create Date: 2026-12-11 09:00:00

Both columns are nullable JSON: NULL means no cuts, as for every wave and release made before.
"""

import sqlalchemy as sa
from alembic import op

revision = "e5a0c7d9f345"
down_revision = "d4fab6c8e234"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("wave", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cuts", sa.JSON(), nullable=True))
    with op.batch_alter_table("release", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cuts", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("release", schema=None) as batch_op:
        batch_op.drop_column("cuts")
    with op.batch_alter_table("wave", schema=None) as batch_op:
        batch_op.drop_column("cuts")
