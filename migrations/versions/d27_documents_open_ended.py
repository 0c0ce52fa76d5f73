"""documents: an open-ended document («Бессрочно») has no expiry date

Revision ID: d27_documents_open_ended
Revises: d16_mchd_power_roles
Create Date: 2026-12-07 16:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd27_documents_open_ended'
down_revision = 'd16_mchd_power_roles'
branch_labels = None
depends_on = None


def upgrade():
    # Reviewed: only the column's nullability changes; existing documents keep their dates.
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.alter_column('expires_on', existing_type=sa.Date(), nullable=True)


def downgrade():
    # An open-ended document gets a far end date: the column cannot hold NULL any more.
    op.execute("UPDATE documents SET expires_on = '9999-12-31' WHERE expires_on IS NULL")
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.alter_column('expires_on', existing_type=sa.Date(), nullable=False)
