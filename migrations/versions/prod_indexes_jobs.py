"""indexes for lookups by КПП and name, journal keyset; job failures and periodic runs

Revision ID: prod_indexes_jobs
Revises: 28e12907a54c
Create Date: 2026-12-01 11:50:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'prod_indexes_jobs'
down_revision = '28e12907a54c'
branch_labels = None
depends_on = None

TRIGRAM = [
    ("ix_organizations_full_name_trgm", "organizations", "full_name"),
    ("ix_organizations_short_name_trgm", "organizations", "short_name"),
    ("ix_egrul_records_full_name_trgm", "egrul_records", "full_name"),
    ("ix_users_full_name_trgm", "users", "full_name"),
]


def upgrade():
    op.create_table(
        'job_failures',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('task', sa.String(length=100), nullable=False),
        sa.Column('task_id', sa.String(length=64), nullable=False),
        sa.Column('args', sa.Text(), nullable=False),
        sa.Column('error', sa.Text(), nullable=False),
        sa.Column('retries_left', sa.Integer(), nullable=False),
        sa.Column('failed_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_job_failures')),
    )
    op.create_index(op.f('ix_job_failures_task'), 'job_failures', ['task'])
    op.create_index(op.f('ix_job_failures_failed_at'), 'job_failures', ['failed_at'])
    op.create_table(
        'periodic_runs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('period_start', sa.DateTime(), nullable=False),
        sa.Column('node', sa.String(length=200), nullable=False),
        sa.Column('started_at', sa.DateTime(), nullable=False),
        sa.Column('finished_at', sa.DateTime(), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_periodic_runs')),
        sa.UniqueConstraint('name', 'period_start', name=op.f('uq_periodic_runs_name_period_start')),
    )
    op.create_index('ix_organizations_kpp', 'organizations', ['kpp'])
    op.create_index('ix_egrul_records_kpp', 'egrul_records', ['kpp'])
    op.create_index('ix_organization_journal_keyset', 'organization_journal',
                    ['organization_id', 'created_at', 'id'])
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
        for name, table, column in TRIGRAM:
            op.create_index(name, table, [column], postgresql_using='gin',
                            postgresql_ops={column: 'gin_trgm_ops'})
    else:
        for name, table, column in TRIGRAM:
            op.create_index(name, table, [column])


def downgrade():
    for name, table, _column in TRIGRAM:
        op.drop_index(name, table_name=table)
    op.drop_index('ix_organization_journal_keyset', table_name='organization_journal')
    op.drop_index('ix_egrul_records_kpp', table_name='egrul_records')
    op.drop_index('ix_organizations_kpp', table_name='organizations')
    op.drop_table('periodic_runs')
    op.drop_index(op.f('ix_job_failures_failed_at'), table_name='job_failures')
    op.drop_index(op.f('ix_job_failures_task'), table_name='job_failures')
    op.drop_table('job_failures')
