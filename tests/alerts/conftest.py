"""Fixtures of the alerts tests: the real PostgreSQL of tests/support/postgres.py."""

from tests.support.postgres import postgres_server, postgres_url

__all__ = ["postgres_server", "postgres_url"]
