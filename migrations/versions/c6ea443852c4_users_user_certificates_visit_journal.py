"""users, user certificates, visit journal

Revision ID: c6ea443852c4
Revises: 
Create Date: 2026-11-22 20:46:45.203578

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c6ea443852c4'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    # Reviewed: timestamps are naive UTC (registry.extensions.UTCDateTime).
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('snils', sa.String(length=11), nullable=True),
    sa.Column('inn', sa.String(length=12), nullable=True),
    sa.Column('full_name', sa.String(length=300), nullable=False),
    sa.Column('surname', sa.String(length=150), nullable=True),
    sa.Column('given_names', sa.String(length=150), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('position', sa.String(length=200), nullable=True),
    sa.Column('department', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_login_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('inn', name=op.f('uq_users_inn')),
    sa.UniqueConstraint('snils', name=op.f('uq_users_snils'))
    )
    op.create_table('user_certificates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('serial', sa.String(length=80), nullable=False),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('issuer', sa.Text(), nullable=False),
    sa.Column('algorithm', sa.String(length=100), nullable=False),
    sa.Column('not_before', sa.DateTime(), nullable=False),
    sa.Column('not_after', sa.DateTime(), nullable=False),
    sa.Column('pem', sa.Text(), nullable=False),
    sa.Column('first_used_at', sa.DateTime(), nullable=False),
    sa.Column('last_used_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_certificates_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_certificates')),
    sa.UniqueConstraint('fingerprint', name=op.f('uq_user_certificates_fingerprint'))
    )
    with op.batch_alter_table('user_certificates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_certificates_user_id'), ['user_id'], unique=False)

    op.create_table('visit_journal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('event', sa.String(length=20), nullable=False),
    sa.Column('result', sa.String(length=40), nullable=False),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('remote_addr', sa.String(length=45), nullable=True),
    sa.Column('user_agent', sa.String(length=400), nullable=True),
    sa.Column('cert_serial', sa.String(length=80), nullable=True),
    sa.Column('cert_issuer', sa.Text(), nullable=True),
    sa.Column('cert_subject', sa.Text(), nullable=True),
    sa.Column('cert_fingerprint', sa.String(length=64), nullable=True),
    sa.Column('key_kind', sa.String(length=10), nullable=True),
    sa.Column('key_value', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_visit_journal_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_journal'))
    )
    with op.batch_alter_table('visit_journal', schema=None) as batch_op:
        batch_op.create_index('ix_visit_journal_account_key', ['key_kind', 'key_value'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_journal_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_visit_journal_user_id_created_at', ['user_id', 'created_at'], unique=False)



def downgrade():
    # Reviewed: timestamps are naive UTC (registry.extensions.UTCDateTime).
    with op.batch_alter_table('visit_journal', schema=None) as batch_op:
        batch_op.drop_index('ix_visit_journal_user_id_created_at')
        batch_op.drop_index(batch_op.f('ix_visit_journal_created_at'))
        batch_op.drop_index('ix_visit_journal_account_key')

    op.drop_table('visit_journal')
    with op.batch_alter_table('user_certificates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_certificates_user_id'))

    op.drop_table('user_certificates')
    op.drop_table('users')
