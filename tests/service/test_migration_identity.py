"""Migration 0004 on a database that holds rows of 0003: duplicate labels made unique, records
re-keyed to their sender's key (a sender label with no key gets a revoked owner key), records
marked with an unknown country, declarations given their document from their body, old
sessions and messages cleared; and the schema is then exactly what the tables declare."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

import sqlalchemy as sa

from healthcert.database.db import make_engine
from healthcert.database.migrate import upgrade

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def _key(connection: sa.Connection, label: str) -> int:
    connection.execute(
        sa.text(
            "INSERT INTO api_keys (key_hash, prefix, role, label, created_at) "
            "VALUES (:hash, 'hck_x', 'recorder', :label, :at)"
        ),
        {"hash": secrets.token_hex(32), "label": label, "at": NOW},
    )
    return int(connection.scalar(sa.text("SELECT max(id) FROM api_keys")))


def _record(connection: sa.Connection, sender: str, record_id: str) -> None:
    connection.execute(
        sa.text(
            "INSERT INTO records (sender, sender_record_id, kind, document_type, document_number,"
            " date_of_birth, contact, holder, entry, created_at) VALUES (:sender, :id,"
            " 'vaccination', 'passport', 'E1', '1985-07-21', '+861', '{}', '{}', :at)"
        ),
        {"sender": sender, "id": record_id, "at": NOW},
    )


def _seed_0003(connection: sa.Connection) -> dict[str, int]:
    first = _key(connection, "Lab")
    second = _key(connection, "Lab")  # the duplicate labels the issue found
    _record(connection, "Lab", "r-1")
    _record(connection, "batch", "r-2")  # stored by `issue --batch --store`: no key
    connection.execute(
        sa.text(
            "INSERT INTO declarations (document_number, date_of_birth, residence_country,"
            " destination, departure, status, version, body, created_at, submitted_at) VALUES"
            " ('E1', '1985-07-21', 'US', 'CN', :at, 'submitted', 1, :body, :at, :at)"
        ),
        {"at": NOW, "body": '{"identity": {"document_type": "passport", "issuing_country": "CN"}}'},
    )
    connection.execute(
        sa.text("INSERT INTO outbox (recipient, body, created_at) VALUES ('+861', 'x', :at)"),
        {"at": NOW},
    )
    connection.execute(
        sa.text(
            "INSERT INTO holder_sessions (token_hash, document_number, date_of_birth, expires_at)"
            " VALUES ('t', 'E1', '1985-07-21', :at)"
        ),
        {"at": NOW},
    )
    return {"first": first, "second": second}


def test_0004_migrates_the_rows_of_0003(own_database: str) -> None:
    engine = make_engine(own_database)
    try:
        upgrade(engine, "0003")
        with engine.begin() as connection:
            ids = _seed_0003(connection)
        upgrade(engine)
        with engine.connect() as connection:
            labels = dict(connection.execute(sa.text("SELECT id, label FROM api_keys")).all())
            assert labels[ids["first"]] == "Lab"
            assert labels[ids["second"]] == f"Lab #{ids['second']}"
            records = dict(
                connection.execute(
                    sa.text("SELECT sender_record_id, sender_key_id FROM records")
                ).all()
            )
            assert records["r-1"] == ids["first"]
            owner = connection.execute(
                sa.text("SELECT label, revoked_at FROM api_keys WHERE id = :id"),
                {"id": records["r-2"]},
            ).one()
            assert owner.label == "batch" and owner.revoked_at is not None
            countries = connection.scalars(sa.text("SELECT issuing_country FROM records")).all()
            assert set(countries) == {"ZZ"}
            declaration = connection.execute(
                sa.text("SELECT document_type, issuing_country FROM declarations")
            ).one()
            assert tuple(declaration) == ("passport", "CN")
            for table in ("outbox", "holder_sessions"):
                assert connection.scalar(sa.text(f"SELECT count(*) FROM {table}")) == 0
    finally:
        engine.dispose()


def test_the_migrated_schema_is_what_the_tables_declare(own_database: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from healthcert.database.tables import Base

    engine = make_engine(own_database)
    try:
        upgrade(engine)
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": False})
            differences = compare_metadata(context, Base.metadata)
        assert differences == []
    finally:
        engine.dispose()


def test_0004_goes_down_to_0003_and_up_again(own_database: str) -> None:
    from alembic import command

    from healthcert.database.migrate import _config, current_revision, head_revision

    engine = make_engine(own_database)
    try:
        upgrade(engine)
        with engine.begin() as connection:
            command.downgrade(_config(connection), "0003")  # type: ignore[arg-type]
        assert current_revision(engine) == "0003"
        with engine.begin() as connection:
            _seed_0003(connection)  # the 0003 schema takes 0003's rows again
        upgrade(engine)
        assert current_revision(engine) == head_revision()  # and on to the newest
    finally:
        engine.dispose()
