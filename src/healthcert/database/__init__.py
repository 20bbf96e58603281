"""Storage of the certificate service: SQLAlchemy 2 tables, the engine, Alembic migrations.

Imported only by the service, the API and their commands: `healthcert verify` never loads it.
"""
