"""How each invitation's link was handed out, messages that carry a link, organisations' time zones.

Revision ID: c3e9a5b7d123
Revises: b2d8f4a6c012
Create Date: 2026-12-11 09:00:00

Links are no longer re-issued by a download or an e-mail, so the database records whether the
current link of an invitation has reached its person (``handed_out_via``: ``email``,
``download`` or ``page``). Earlier downloads left no trace per invitation, so the upgrade counts
every existing invitation not yet used as handed out: by e-mail where one was sent, else by
download. A download after the upgrade therefore carries no link for them until they are
re-issued on request (the wave page says so).
"""

import sqlalchemy as sa
from alembic import op

revision = 'c3e9a5b7d123'
down_revision = 'b2d8f4a6c012'
branch_labels = None
depends_on = None

HANDOUTS = "handed_out_via IS NULL OR handed_out_via IN ('email', 'download', 'page')"


def upgrade():
    with op.batch_alter_table('organization', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('time_zone', sa.String(length=64), server_default='UTC', nullable=False)
        )
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('handed_out_via', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('handed_out_at', sa.DateTime(), nullable=True))
        batch_op.create_check_constraint('handed_out_via_known', HANDOUTS)
    with op.batch_alter_table('email_send', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('carries_link', sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.execute(
        "UPDATE invitation SET handed_out_via = 'email', handed_out_at = COALESCE(sent_at, reminded_at) "
        "WHERE used_at IS NULL AND (sent_at IS NOT NULL OR reminded_at IS NOT NULL)"
    )
    op.execute(
        "UPDATE invitation SET handed_out_via = 'download', handed_out_at = created_at "
        "WHERE used_at IS NULL AND handed_out_via IS NULL"
    )


def downgrade():
    with op.batch_alter_table('email_send', schema=None) as batch_op:
        batch_op.drop_column('carries_link')
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.drop_constraint('handed_out_via_known', type_='check')
        batch_op.drop_column('handed_out_at')
        batch_op.drop_column('handed_out_via')
    with op.batch_alter_table('organization', schema=None) as batch_op:
        batch_op.drop_column('time_zone')
