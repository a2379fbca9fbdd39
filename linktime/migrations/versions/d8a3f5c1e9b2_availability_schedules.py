"""Availability schedules shared by event types

Revision ID: d8a3f5c1e9b2
Revises: c6f2a8e4d1b7
Create Date: 2026-12-07 21:50:00

"""
from alembic import op
import sqlalchemy as sa
import linktime.models


revision = 'd8a3f5c1e9b2'
down_revision = 'c6f2a8e4d1b7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'schedules',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('weekly_hours', sa.JSON(), nullable=False),
        sa.Column('date_overrides', sa.JSON(), nullable=False),
        sa.Column('holiday_country', sa.String(length=8), nullable=False),
        sa.Column('is_default', sa.Boolean(), nullable=False),
        sa.Column('created_at', linktime.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('schedules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_schedules_user_id'), ['user_id'], unique=False)
    with op.batch_alter_table('event_types', schema=None) as batch_op:
        batch_op.add_column(sa.Column('schedule_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_event_types_schedule_id'), ['schedule_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_event_types_schedule_id_schedules'), 'schedules', ['schedule_id'], ['id'],
                                    ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('event_types', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_event_types_schedule_id_schedules'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_event_types_schedule_id'))
        batch_op.drop_column('schedule_id')
    with op.batch_alter_table('schedules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_schedules_user_id'))
    op.drop_table('schedules')
