"""Reps and holds record when their clip starts in the input (``clip_start_s``), so a report
can show the frame of a rep's worst moment from its clip.

Revision ID: 0002
Revises: 0001
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: str | Sequence[str] | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ("reps", "holds"):
        op.add_column(table, sa.Column("clip_start_s", sa.Float(), nullable=True))


def downgrade() -> None:
    for table in ("reps", "holds"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("clip_start_s")
