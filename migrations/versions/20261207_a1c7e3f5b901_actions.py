"""Action plans: actions (action), the teams they target (action_team) and their updates (action_update).

Revision ID: a1c7e3f5b901
Revises: d4a7b2c9e815
Create Date: 2026-12-07 01:20:00

New tables only; the downgrade drops them (and the actions in them).
"""

import sqlalchemy as sa
from alembic import op

revision = 'a1c7e3f5b901'
down_revision = 'd4a7b2c9e815'
branch_labels = None
depends_on = None

STATUSES = "('planned', 'in_progress', 'done', 'dropped')"


def upgrade():
    op.create_table(
        'action',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organization_id', sa.Integer(), nullable=False),
        sa.Column('wave_id', sa.Integer(), nullable=True),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('dimension', sa.String(length=64), nullable=False),
        sa.Column('target', sa.String(length=20), nullable=False),
        sa.Column('source', sa.String(length=20), nullable=False),
        sa.Column('owner_id', sa.Integer(), nullable=True),
        sa.Column('owner_name', sa.String(length=200), nullable=False),
        sa.Column('owner_email', sa.String(length=320), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=True),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('notes', sa.Text(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('reminded_due_at', sa.DateTime(), nullable=True),
        sa.Column('reminded_overdue_at', sa.DateTime(), nullable=True),
        sa.CheckConstraint(f"status IN {STATUSES}", name=op.f('ck_action_status_known')),
        sa.CheckConstraint("target IN ('teams', 'pair')", name=op.f('ck_action_target_known')),
        sa.CheckConstraint("source IN ('gap', 'dimension', 'recommendation', 'other')",
                           name=op.f('ck_action_source_known')),
        sa.CheckConstraint("title <> ''", name=op.f('ck_action_title_not_empty')),
        sa.ForeignKeyConstraint(['organization_id'], ['organization.id'],
                                name=op.f('fk_action_organization_id_organization'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['wave_id'], ['wave.id'], name=op.f('fk_action_wave_id_wave'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['owner_id'], ['user.id'], name=op.f('fk_action_owner_id_user'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_action_created_by_id_user'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_action')),
    )
    op.create_index(op.f('ix_action_organization_id'), 'action', ['organization_id'])
    op.create_index(op.f('ix_action_wave_id'), 'action', ['wave_id'])
    op.create_table(
        'action_team',
        sa.Column('action_id', sa.Integer(), nullable=False),
        sa.Column('team_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['action_id'], ['action.id'], name=op.f('fk_action_team_action_id_action'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_action_team_team_id_team'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('action_id', 'team_id', name=op.f('pk_action_team')),
    )
    op.create_table(
        'action_update',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('action_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('author', sa.String(length=320), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint(f"status IS NULL OR status IN {STATUSES}",
                           name=op.f('ck_action_update_status_known')),
        sa.ForeignKeyConstraint(['action_id'], ['action.id'], name=op.f('fk_action_update_action_id_action'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_action_update_user_id_user'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_action_update')),
    )
    op.create_index(op.f('ix_action_update_action_id'), 'action_update', ['action_id'])


def downgrade():
    op.drop_index(op.f('ix_action_update_action_id'), table_name='action_update')
    op.drop_table('action_update')
    op.drop_table('action_team')
    op.drop_index(op.f('ix_action_wave_id'), table_name='action')
    op.drop_index(op.f('ix_action_organization_id'), table_name='action')
    op.drop_table('action')
