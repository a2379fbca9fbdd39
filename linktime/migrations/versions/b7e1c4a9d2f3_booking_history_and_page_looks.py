"""booking history for the host's booking page; a host's brand colour and photo

Revision ID: b7e1c4a9d2f3
Revises: 8565d0be75b6
Create Date: 2026-12-02 10:00:00

"""
from alembic import op
import sqlalchemy as sa
import linktime.models


revision = 'b7e1c4a9d2f3'
down_revision = '8565d0be75b6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'booking_history',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('booking_id', sa.Integer(), nullable=False),
        sa.Column('detail', sa.Text(), nullable=False),
        sa.Column('created_at', linktime.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('booking_history', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_booking_history_booking_id'), ['booking_id'], unique=False)

    op.create_table(
        'user_photos',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('content_type', sa.String(length=20), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id'),
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('brand_color', sa.String(length=7), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('photo_digest', sa.String(length=64), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('photo_digest')
        batch_op.drop_column('brand_color')
    op.drop_table('user_photos')
    with op.batch_alter_table('booking_history', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_booking_history_booking_id'))
    op.drop_table('booking_history')
