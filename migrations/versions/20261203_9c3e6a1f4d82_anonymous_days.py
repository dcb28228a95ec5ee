"""Anonymous waves: times stored before they were kept to the day are cut to the day.

Revision ID: 9c3e6a1f4d82
Revises: 8b2d5f0e3c71
Create Date: 2026-12-03 09:00:00

Responses, answers, comments, invitations and the e-mail log of anonymous waves now store
midnight UTC of the day only; rows written earlier kept the exact time. This cuts them too.
There is no way back (the exact times are gone): the downgrade leaves the data as it is.
Audit events cannot be told apart by wave in the old rows and are left unchanged.
"""

from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision = '9c3e6a1f4d82'
down_revision = '8b2d5f0e3c71'
branch_labels = None
depends_on = None

#: table -> (time columns, the statement's route from the row to its wave's mode)
TIMES = {
    'response': ('started_at', 'updated_at', 'submitted_at'),
    'invitation': ('created_at', 'sent_at', 'reminded_at', 'used_at'),
    'answer': ('answered_at',),
    'comment': ('created_at',),
    'email_send': ('created_at', 'updated_at', 'sent_at'),
}
ANONYMOUS_WAVES = "SELECT id FROM wave WHERE mode = 'anonymous'"
ROWS_OF_ANONYMOUS_WAVES = {
    'response': f"wave_id IN ({ANONYMOUS_WAVES})",
    'invitation': f"wave_id IN ({ANONYMOUS_WAVES})",
    'answer': f"response_id IN (SELECT id FROM response WHERE wave_id IN ({ANONYMOUS_WAVES}))",
    'comment': f"response_id IN (SELECT id FROM response WHERE wave_id IN ({ANONYMOUS_WAVES}))",
    'email_send': f"invitation_id IN (SELECT id FROM invitation WHERE wave_id IN ({ANONYMOUS_WAVES}))",
}


def _midnight(value, as_text: bool):
    if value is None:
        return None
    if isinstance(value, str):  # SQLite hands back text
        value = datetime.fromisoformat(value)
    value = value.replace(hour=0, minute=0, second=0, microsecond=0)
    # SQLite keeps the text SQLAlchemy writes for a DateTime; PostgreSQL takes the value itself.
    return value.strftime('%Y-%m-%d %H:%M:%S.%f') if as_text else value


def upgrade():
    connection = op.get_bind()
    as_text = connection.dialect.name == 'sqlite'
    for table, columns in TIMES.items():
        rows = connection.execute(
            sa.text(f"SELECT id, {', '.join(columns)} FROM {table} WHERE {ROWS_OF_ANONYMOUS_WAVES[table]}")  # noqa: S608
        ).all()
        assignments = ', '.join(f"{column} = :{column}" for column in columns)
        statement = sa.text(f"UPDATE {table} SET {assignments} WHERE id = :id")  # noqa: S608
        changes = [
            {'id': row[0], **{column: _midnight(value, as_text) for column, value in zip(columns, row[1:], strict=True)}}
            for row in rows
        ]
        if changes:
            connection.execute(statement, changes)


def downgrade():
    pass  # the exact times are gone; nothing to restore
