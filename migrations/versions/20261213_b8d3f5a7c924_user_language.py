"""The workspace user's language: user.language.

Revision ID: b8d3f5a7c924
Revises: a7c2e4f6b813
Create Date: 2026-12-13 09:00:00

A language code the product ships ("en", "de", "fr", "es"), chosen on the account page; NULL
(every existing user) follows the browser's Accept-Language.
"""

import sqlalchemy as sa
from alembic import op

revision = "b8d3f5a7c924"
down_revision = "a7c2e4f6b813"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=8), nullable=True))


def downgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("language")
