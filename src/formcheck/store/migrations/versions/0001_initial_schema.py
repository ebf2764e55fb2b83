"""Initial schema: patients, their limits, caps and clearances, sessions, sets, reps, holds,
pain stops and reviews.

Revision ID: 0001
Revises:
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0001'
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('patients',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pseudonym', sa.String(length=64), nullable=False),
    sa.Column('clips_opt_in', sa.Boolean(), nullable=False),
    sa.Column('clip_folder', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('clip_folder'),
    sa.UniqueConstraint('pseudonym')
    )
    op.create_table('clearances',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('exercise', sa.String(length=64), nullable=False),
    sa.Column('cleared_on', sa.Date(), nullable=False),
    sa.Column('cleared_by', sa.String(length=64), nullable=True),
    sa.Column('note', sa.String(length=2000), nullable=True),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('patient_id', 'exercise')
    )
    op.create_index('ix_clearances_patient_id', 'clearances', ['patient_id'])

    op.create_table('patient_caps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('max_deg', sa.Float(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.Column('set_by', sa.String(length=64), nullable=True),
    sa.Column('set_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('flexion', 'extension')", name='ck_cap_kind'),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('patient_id', 'kind')
    )
    op.create_index('ix_patient_caps_patient_id', 'patient_caps', ['patient_id'])

    op.create_table('patient_limits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('exercise', sa.String(length=64), nullable=False),
    sa.Column('check_id', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('set_by', sa.String(length=64), nullable=True),
    sa.Column('set_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('patient_id', 'exercise', 'check_id')
    )
    op.create_index('ix_patient_limits_patient_id', 'patient_limits', ['patient_id'])

    op.create_table('sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('source_name', sa.String(length=255), nullable=True),
    sa.Column('source_key', sa.String(length=64), nullable=True),
    sa.Column('formcheck_version', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('patient_id', 'source_key')
    )
    op.create_index('ix_sessions_patient_id', 'sessions', ['patient_id'])
    op.create_index('ix_sessions_started_at', 'sessions', ['started_at'])

    op.create_table('sets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('exercise', sa.String(length=64), nullable=False),
    sa.Column('exercise_name', sa.String(length=128), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('owner', sa.String(length=128), nullable=True),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('rep_count', sa.Integer(), nullable=False),
    sa.Column('view', sa.String(length=16), nullable=True),
    sa.Column('limits', sa.JSON(), nullable=False),
    sa.Column('report', sa.JSON(), nullable=True),
    sa.Column('status_reason', sa.String(length=500), nullable=True),
    sa.CheckConstraint("status IN ('in_progress', 'complete', 'interrupted', 'pain_stopped')", name='ck_set_status'),
    sa.ForeignKeyConstraint(['session_id'], ['sessions.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_sets_session_id', 'sets', ['session_id'])
    op.create_index('ix_sets_status', 'sets', ['status'])

    op.create_table('holds',
    sa.Column('set_id', sa.Integer(), nullable=False),
    sa.Column('duration_s', sa.Float(), nullable=False),
    sa.Column('good_form_s', sa.Float(), nullable=True),
    sa.Column('longest_good_s', sa.Float(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('index', sa.Integer(), nullable=False),
    sa.Column('start_s', sa.Float(), nullable=False),
    sa.Column('end_s', sa.Float(), nullable=False),
    sa.Column('metrics', sa.JSON(), nullable=False),
    sa.Column('flags', sa.JSON(), nullable=False),
    sa.Column('flag_details', sa.JSON(), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('series', sa.JSON(), nullable=True),
    sa.Column('clip_name', sa.String(length=64), nullable=True),
    sa.Column('clip_bytes', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['set_id'], ['sets.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('set_id', 'index')
    )
    op.create_index('ix_holds_set_id', 'holds', ['set_id'])

    op.create_table('pain_stops',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('set_id', sa.Integer(), nullable=False),
    sa.Column('t_s', sa.Float(), nullable=True),
    sa.Column('note', sa.String(length=2000), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['set_id'], ['sets.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_pain_stops_set_id', 'pain_stops', ['set_id'])

    op.create_table('reps',
    sa.Column('set_id', sa.Integer(), nullable=False),
    sa.Column('peak_s', sa.Float(), nullable=True),
    sa.Column('side', sa.String(length=8), nullable=True),
    sa.Column('range', sa.Float(), nullable=True),
    sa.Column('range_unit', sa.String(length=16), nullable=True),
    sa.Column('time_up_s', sa.Float(), nullable=True),
    sa.Column('top_pause_s', sa.Float(), nullable=True),
    sa.Column('time_down_s', sa.Float(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('index', sa.Integer(), nullable=False),
    sa.Column('start_s', sa.Float(), nullable=False),
    sa.Column('end_s', sa.Float(), nullable=False),
    sa.Column('metrics', sa.JSON(), nullable=False),
    sa.Column('flags', sa.JSON(), nullable=False),
    sa.Column('flag_details', sa.JSON(), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('series', sa.JSON(), nullable=True),
    sa.Column('clip_name', sa.String(length=64), nullable=True),
    sa.Column('clip_bytes', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['set_id'], ['sets.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('set_id', 'index')
    )
    op.create_index('ix_reps_set_id', 'reps', ['set_id'])

    op.create_table('reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rep_id', sa.Integer(), nullable=True),
    sa.Column('hold_id', sa.Integer(), nullable=True),
    sa.Column('check_id', sa.String(length=64), nullable=True),
    sa.Column('verdict', sa.String(length=16), nullable=False),
    sa.Column('note', sa.String(length=2000), nullable=True),
    sa.Column('reviewer', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("verdict IN ('agree', 'overrule', 'note')", name='ck_review_verdict'),
    sa.CheckConstraint('(rep_id IS NULL) <> (hold_id IS NULL)', name='ck_review_one_item'),
    sa.ForeignKeyConstraint(['hold_id'], ['holds.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rep_id'], ['reps.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_reviews_hold_id', 'reviews', ['hold_id'])
    op.create_index('ix_reviews_rep_id', 'reviews', ['rep_id'])


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index('ix_reviews_rep_id', table_name='reviews')
    op.drop_index('ix_reviews_hold_id', table_name='reviews')

    op.drop_table('reviews')
    op.drop_index('ix_reps_set_id', table_name='reps')

    op.drop_table('reps')
    op.drop_index('ix_pain_stops_set_id', table_name='pain_stops')

    op.drop_table('pain_stops')
    op.drop_index('ix_holds_set_id', table_name='holds')

    op.drop_table('holds')
    op.drop_index('ix_sets_status', table_name='sets')
    op.drop_index('ix_sets_session_id', table_name='sets')

    op.drop_table('sets')
    op.drop_index('ix_sessions_started_at', table_name='sessions')
    op.drop_index('ix_sessions_patient_id', table_name='sessions')

    op.drop_table('sessions')
    op.drop_index('ix_patient_limits_patient_id', table_name='patient_limits')

    op.drop_table('patient_limits')
    op.drop_index('ix_patient_caps_patient_id', table_name='patient_caps')

    op.drop_table('patient_caps')
    op.drop_index('ix_clearances_patient_id', table_name='clearances')

    op.drop_table('clearances')
    op.drop_table('patients')
