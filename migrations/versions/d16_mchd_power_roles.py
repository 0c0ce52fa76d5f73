"""mchd: the operator's table of powers (КодПолн) and the roles they give

Revision ID: d16_mchd_power_roles
Revises: c16_orgs
Create Date: 2026-12-07 16:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'd16_mchd_power_roles'
down_revision = 'c16_orgs'
branch_labels = None
depends_on = None

# The defaults the table starts with: one power of the ДМДК guide per role (the operator edits
# them to the codes the ФНС classifier of powers lists for these actions).
DEFAULTS = [
    ("DMDK_ADMIN", "Администрирование организации в ГИИС ДМДК", ["admin"]),
    ("DMDK_PARTICIPANT", "Действия участника ДМДК", ["dmdk_participant"]),
    ("DMDK_BATCHES", "Операции с партиями в ГИИС ДМДК", ["batch_operations"]),
    ("DMDK_APPLICATIONS", "Работа с заявлениями в ГИИС ДМДК", ["applications"]),
]


def upgrade():
    # Reviewed: a new table keyed by the power's code; roles as a JSON list of Role values.
    table = op.create_table(
        'mchd_power_roles',
        sa.Column('code', sa.String(length=255), nullable=False),
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('roles', sa.JSON(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'],
                                name=op.f('fk_mchd_power_roles_updated_by_id_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('code', name=op.f('pk_mchd_power_roles')),
    )
    from datetime import datetime, timezone

    now = datetime.now(timezone.utc).replace(tzinfo=None)
    op.bulk_insert(table, [{"code": c, "name": n, "roles": r, "updated_at": now} for c, n, r in DEFAULTS])


def downgrade():
    op.drop_table('mchd_power_roles')
