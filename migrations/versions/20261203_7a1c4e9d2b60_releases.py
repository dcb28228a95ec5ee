"""Results releases; a release policy per wave; wave names unique within an organisation.

Revision ID: 7a1c4e9d2b60
Revises: 5c0f1d7a9b3e
Create Date: 2026-12-03 08:00:00

Existing waves that share a name within their organisation are renamed first
("Spring", "Spring (2)", …, oldest keeps its name), so the new unique constraint holds.
"""

import sqlalchemy as sa
from alembic import op

revision = '7a1c4e9d2b60'
down_revision = '5c0f1d7a9b3e'
branch_labels = None
depends_on = None


def _rename_duplicate_waves():
    connection = op.get_bind()
    wave = sa.table('wave', sa.column('id', sa.Integer), sa.column('organization_id', sa.Integer),
                    sa.column('name', sa.String))
    rows = connection.execute(sa.select(wave.c.id, wave.c.organization_id, wave.c.name).order_by(wave.c.id)).all()
    taken: dict[int, set[str]] = {}
    for _, organization, name in rows:
        taken.setdefault(organization, set()).add(name)
    seen: dict[int, set[str]] = {}
    for wave_id, organization, name in rows:
        names = seen.setdefault(organization, set())
        if name not in names:
            names.add(name)
            continue
        number = 2
        while f"{name} ({number})" in taken[organization]:
            number += 1
        new_name = f"{name} ({number})"
        taken[organization].add(new_name)
        names.add(new_name)
        connection.execute(sa.update(wave).where(wave.c.id == wave_id).values(name=new_name))


def upgrade():
    _rename_duplicate_waves()
    with op.batch_alter_table('wave', schema=None) as batch_op:
        batch_op.add_column(sa.Column('release_policy', sa.String(length=20), server_default='at_close',
                                      nullable=False))
        batch_op.create_check_constraint(batch_op.f('ck_wave_release_policy_known'),
                                         "release_policy IN ('at_close', 'live')")
        batch_op.create_unique_constraint(batch_op.f('uq_wave_organization_id_name'), ['organization_id', 'name'])
    op.create_table('release',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('wave_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('n_responses', sa.Integer(), nullable=False),
    sa.Column('threshold', sa.Integer(), nullable=False),
    sa.Column('comment_threshold', sa.Integer(), nullable=False),
    sa.Column('snapshot', sa.JSON(), nullable=False),
    sa.Column('groups', sa.JSON(), nullable=False),
    sa.Column('payload', sa.LargeBinary(), nullable=True),
    sa.Column('made_by', sa.String(length=320), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("status IN ('published', 'withheld')", name=op.f('ck_release_status_known')),
    sa.CheckConstraint("(status = 'published') = (number IS NOT NULL)",
                       name=op.f('ck_release_numbered_iff_published')),
    sa.ForeignKeyConstraint(['wave_id'], ['wave.id'], name=op.f('fk_release_wave_id_wave'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_release')),
    sa.UniqueConstraint('wave_id', 'number', name=op.f('uq_release_wave_id_number'))
    )
    with op.batch_alter_table('release', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_release_wave_id'), ['wave_id'], unique=False)
    # Results of waves closed before releases existed are released by `mindgap releases create`
    # (or when the report is first opened): the migration computes nothing.


def downgrade():
    with op.batch_alter_table('release', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_release_wave_id'))
    op.drop_table('release')
    with op.batch_alter_table('wave', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_wave_organization_id_name'), type_='unique')
        batch_op.drop_constraint(batch_op.f('ck_wave_release_policy_known'), type_='check')
        batch_op.drop_column('release_policy')
