"""Persistence: ORM tables, the SQL unit of work and Alembic migrations. Rules live elsewhere."""
