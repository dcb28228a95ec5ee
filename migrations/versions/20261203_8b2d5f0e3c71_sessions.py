"""Sign-ins as rows (user_session), so that they can be ended.

Revision ID: 8b2d5f0e3c71
Revises: 7a1c4e9d2b60
Create Date: 2026-12-03 12:00:00

Session and remember-me cookies issued before this revision carry the bare user id, which
no longer signs anyone in: everyone signs in once more after the upgrade. Downgrading drops
the table, and with it every sign-in.
"""

import sqlalchemy as sa
from alembic import op

revision = '8b2d5f0e3c71'
down_revision = '7a1c4e9d2b60'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'user_session',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('remember', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_user_session_user_id_user'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_user_session')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_user_session_token_hash')),
    )
    op.create_index(op.f('ix_user_session_user_id'), 'user_session', ['user_id'])
    op.create_index(op.f('ix_user_session_expires_at'), 'user_session', ['expires_at'])


def downgrade():
    op.drop_index(op.f('ix_user_session_expires_at'), table_name='user_session')
    op.drop_index(op.f('ix_user_session_user_id'), table_name='user_session')
    op.drop_table('user_session')
