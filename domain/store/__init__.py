"""Persistence: ORM tables, the SQL unit of work and Alembic migrations. Rules live elsewhere."""

from domain.store import installations as installations  # Slack's OAuth tables join the metadata
