"""Invitation links the server can give again: a random nonce per issued link (invitation.link_nonce).

Revision ID: a7c2e4f6b813
Revises: e5a0c7d9f345
Create Date: 2026-12-12 02:30:00

The link's token is an HMAC, keyed from the secret key, over the invitation's id and this nonce;
only its hash is stored, as before. NULL for invitations issued before: their links cannot be
derived and are given again only by re-issuing them.
"""

import sqlalchemy as sa
from alembic import op

revision = "a7c2e4f6b813"
down_revision = "e5a0c7d9f345"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("link_nonce", sa.String(length=32), nullable=True))


def downgrade():
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.drop_column("link_nonce")
