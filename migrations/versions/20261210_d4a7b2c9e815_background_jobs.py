"""Background jobs (job), reminder schedules per wave, and the ``delivering`` e-mail status.

Revision ID: d4a7b2c9e815
Revises: 9c3e6a1f4d82
Create Date: 2026-12-10 09:00:00

E-mails now pass through ``delivering`` just before the end of the message goes to the
server; ``sending`` means the server never received the message whole, so a resumed job
sends it. Rows that an earlier version left in ``sending`` may have been delivered: the
upgrade moves them to ``delivering`` (unknown, never retried). The downgrade moves
``delivering`` back to ``sending``, drops the schedules and the job records.
"""

import sqlalchemy as sa
from alembic import op

revision = 'd4a7b2c9e815'
down_revision = '9c3e6a1f4d82'
branch_labels = None
depends_on = None

OLD_STATUSES = "status IN ('sending', 'sent', 'failed')"
NEW_STATUSES = "status IN ('sending', 'delivering', 'sent', 'failed')"


def upgrade():
    op.create_table(
        'job',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('wave_id', sa.Integer(), nullable=False),
        sa.Column('params', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('total', sa.Integer(), nullable=True),
        sa.Column('sent', sa.Integer(), nullable=False),
        sa.Column('failed', sa.Integer(), nullable=False),
        sa.Column('summary', sa.Text(), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('started_at', sa.DateTime(), nullable=True),
        sa.Column('heartbeat_at', sa.DateTime(), nullable=True),
        sa.Column('finished_at', sa.DateTime(), nullable=True),
        sa.CheckConstraint("kind IN ('mail', 'release', 'prebuild')", name=op.f('ck_job_kind_known')),
        sa.CheckConstraint("status IN ('queued', 'running', 'done', 'failed')",
                           name=op.f('ck_job_status_known')),
        sa.ForeignKeyConstraint(['wave_id'], ['wave.id'], name=op.f('fk_job_wave_id_wave'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_job_created_by_id_user'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_job')),
    )
    op.create_index(op.f('ix_job_wave_id'), 'job', ['wave_id'])
    with op.batch_alter_table('wave', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reminder_days', sa.JSON(), nullable=True))
    with op.batch_alter_table('email_send', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_email_send_status_known'), type_='check')
        batch_op.create_check_constraint(op.f('ck_email_send_status_known'), NEW_STATUSES)
    op.execute("UPDATE email_send SET status = 'delivering' WHERE status = 'sending'")


def downgrade():
    op.execute("UPDATE email_send SET status = 'sending' WHERE status = 'delivering'")
    with op.batch_alter_table('email_send', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_email_send_status_known'), type_='check')
        batch_op.create_check_constraint(op.f('ck_email_send_status_known'), OLD_STATUSES)
    with op.batch_alter_table('wave', schema=None) as batch_op:
        batch_op.drop_column('reminder_days')
    op.drop_index(op.f('ix_job_wave_id'), table_name='job')
    op.drop_table('job')
