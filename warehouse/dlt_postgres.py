"""dlt's PostgreSQL destination, loading parquet through ADBC's binary COPY even when a file is empty.

With `adbc-driver-postgresql` installed, dlt copies parquet files with ADBC, close to `COPY` itself;
without it, dlt turns every Arrow table back into CSV first, which costs more than the load (and its
COPY reads an empty string in a nullable column as NULL). But dlt 1.31 hands ADBC an empty file (a
resource that yielded only an empty table: the quarantine on a clean run, a day without data) as a
stream with no batch and no schema, which ADBC refuses, and the load package stays pending. An empty
file holds no rows to copy, and dlt creates its table before any job runs, so its job has nothing to do.
"""

from __future__ import annotations

from typing import Any

from dlt.destinations.impl.postgres.factory import postgres as _postgres
from dlt.destinations.impl.postgres.postgres import PostgresClient, PostgresParquetCopyJob


class _ParquetCopyJob(PostgresParquetCopyJob):
    def run(self) -> None:
        import pyarrow.parquet as pq

        if pq.read_metadata(self._file_path).num_rows:
            super().run()


class _Client(PostgresClient):
    def create_load_job(self, table: Any, file_path: str, load_id: str, restore: bool = False) -> Any:
        job = super().create_load_job(table, file_path, load_id, restore)
        return _ParquetCopyJob(file_path) if type(job) is PostgresParquetCopyJob else job


# Named as dlt's, so its configuration sections and the destination name stay `postgres`.
class postgres(_postgres):
    @property
    def client_class(self) -> type[PostgresClient]:
        return _Client
