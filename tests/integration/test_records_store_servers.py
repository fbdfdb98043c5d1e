"""The store adapter's cases of tests/unit/test_records_store.py, unchanged, on the
session's real database servers: PostgreSQL and MariaDB (MySQL) (tests/unit runs them on
SQLite only: no daemon there)."""

import pytest

from unit.test_records_store import (  # noqa: F401 pylint: disable=unused-import
    test_dry_run_writes_nothing, test_local_disk_rows_are_keyed_by_device_name,
    test_newer_schema_refused, test_reserve_save_soft_delete, test_schema_created_and_versioned,
    test_twenty_reservations_at_once)


@pytest.fixture(params=["postgresql", "mysql"])
def store_url(request):
    return request.getfixturevalue({"postgresql": "pg_url", "mysql": "mysql_url"}[request.param])
