"""Clients' branding and retention period, and one-time links to set a password.

Revision ID: d4fab6c8e234
Revises: c3e9a5b7d123
Create Date: 2026-12-11 01:00:00

``organization`` gains its branding (accent colour, sender name, logo with its type and
digest) and ``retention_days``; ``account_token`` holds the hashed tokens of invitation and
password-reset links. The downgrade drops them (logos and pending links are lost).
"""

import sqlalchemy as sa
from alembic import op

revision = 'd4fab6c8e234'
down_revision = 'c3e9a5b7d123'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'account_token',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('purpose', sa.String(length=20), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.Column('used_at', sa.DateTime(), nullable=True),
        sa.CheckConstraint("purpose IN ('invite', 'reset')", name=op.f('ck_account_token_purpose_known')),
        sa.CheckConstraint('expires_at > created_at', name=op.f('ck_account_token_expires_after_creation')),
        sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_account_token_created_by_id_user'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_account_token_user_id_user'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_account_token')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_account_token_token_hash')),
    )
    with op.batch_alter_table('account_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_token_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('organization', schema=None) as batch_op:
        batch_op.add_column(sa.Column('accent_colour', sa.String(length=7), nullable=True))
        batch_op.add_column(sa.Column('sender_name', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('logo', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('logo_type', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('logo_digest', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('retention_days', sa.Integer(), nullable=True))
        batch_op.create_check_constraint(
            batch_op.f('ck_organization_retention_positive'), 'retention_days IS NULL OR retention_days >= 1'
        )
        batch_op.create_check_constraint(
            batch_op.f('ck_organization_logo_typed'), '(logo_digest IS NULL) = (logo_type IS NULL)'
        )


def downgrade():
    with op.batch_alter_table('organization', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_organization_logo_typed'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_organization_retention_positive'), type_='check')
        batch_op.drop_column('retention_days')
        batch_op.drop_column('logo_digest')
        batch_op.drop_column('logo_type')
        batch_op.drop_column('logo')
        batch_op.drop_column('sender_name')
        batch_op.drop_column('accent_colour')

    with op.batch_alter_table('account_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_token_user_id'))

    op.drop_table('account_token')
