"""Shorter forms per wave: ``wave.form``, ``wave.form_items`` and ``wave.form_secret``.

Revision ID: b2d8f4a6c012
Revises: f6b1d8e0a456
Create Date: 2026-12-11 09:00:00

A wave either shows every item (``full``, what existing waves get) or, under
``planned_missing``, a random ``form_items`` of each dimension's items to each respondent,
drawn from the response id and the wave's ``form_secret``. The downgrade drops the three
columns; a planned-missing wave's reports then read as if it had used the full form.
"""

import sqlalchemy as sa
from alembic import op

revision = 'b2d8f4a6c012'
down_revision = 'f6b1d8e0a456'
branch_labels = None
depends_on = None

SETTINGS = (
    "(form = 'full' AND form_items IS NULL) OR (form = 'planned_missing' AND form_items >= 2 "
    "AND form_secret IS NOT NULL)"
)


def upgrade():
    with op.batch_alter_table('wave', schema=None) as batch_op:
        batch_op.add_column(sa.Column('form', sa.String(length=20), nullable=False, server_default='full'))
        batch_op.add_column(sa.Column('form_items', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('form_secret', sa.String(length=64), nullable=True))
        batch_op.create_check_constraint(batch_op.f('ck_wave_form_known'), "form IN ('full', 'planned_missing')")
        batch_op.create_check_constraint(batch_op.f('ck_wave_form_settings'), SETTINGS)


def downgrade():
    with op.batch_alter_table('wave', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_wave_form_settings'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_wave_form_known'), type_='check')
        batch_op.drop_column('form_secret')
        batch_op.drop_column('form_items')
        batch_op.drop_column('form')
