"""A file source's dlt resources: dlt's `filesystem` source lists the folder (a local path or any
fsspec URL), and each file is read once.

Each file version is known by its sha256: the dlt state of the rows resource keeps, per file name,
the hash last read and the days of the rows it loaded, and commits with the load package, so a
failed load reads the file again and a loaded one is never read twice. A changed file under the same
name replaces its earlier version's rows (the rows table merges by delete-insert on `file_name`),
unless the contract keeps versions (plans, whose history staging reads). Every version read is a row
of the `files` manifest, with the days its load added or removed: the runs' models rebuild those
days (`SourceSpec.changed_days`).

A bad row (a value that cannot be read, a required value blank) is quarantined with its file, row,
field and reason; `on_bad_rows` says whether the file's other rows load (`quarantine_rows`) or none
of the file does (`reject_file`: its earlier version, if any, stays). A file that cannot be read at
all (not CSV or XLSX, no mapping for its name, a mapped column missing from its header) is
quarantined as row 0 or 1 and loads nothing. Nothing is dropped without a warning naming the file,
and a last line sums up the run's files.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import dlt
import pyarrow as pa
from dlt.extract import DltResource

from connectors.common import progress
from connectors.common.errors import ConfigurationError, RecordError
from connectors.common.files.fields import FileContract
from connectors.common.files.load import FileRows, quarantine_row, read_rows
from connectors.common.files.mapping import FileMapping, mapping_for
from connectors.common.files.readers import FileUnreadable, read

log = logging.getLogger("funnelhouse.connectors.files")

STATE_KEY = "files"


class OnBadRows(StrEnum):
    QUARANTINE_ROWS = "quarantine_rows"
    REJECT_FILE = "reject_file"


def on_bad_rows_setting(source: str, value: Any) -> OnBadRows:
    try:
        return OnBadRows(str(value).strip().lower())
    except ValueError:
        raise ConfigurationError(source, "on_bad_rows", f"must be {' or '.join(OnBadRows)}") from None


def folder_setting(source: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(source, "bucket_url", "is missing: a folder path or an fsspec URL "
                                                       "(s3://bucket/drops, memory://drops, ...)")
    return value.strip().rstrip("/") or "/"


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _span(*days: date | None) -> tuple[date | None, date | None]:
    present = [d for d in days if d is not None]
    return (min(present), max(present)) if present else (None, None)


class _Run:
    """One run's reading of the listing: the manifest rows and quarantined values it collects for
    their resources, and the counts its summary line gives."""

    def __init__(self, contract: FileContract, mappings: Sequence[FileMapping], on_bad_rows: OnBadRows):
        self.contract = contract
        self.mappings = mappings
        self.on_bad_rows = on_bad_rows
        self.manifest: list[dict[str, Any]] = []
        self.quarantined: list[dict[str, Any]] = []
        self.unchanged: list[str] = []
        self.loaded: list[str] = []
        self.set_aside: list[str] = []
        self.manifest_announced = False
        self.quarantine_announced = False

    def file(self, item: Any, state: dict[str, Any]) -> pa.Table:
        """Read one listed file; its rows (none if it is unchanged or set aside) as the rows table."""
        contract, name = self.contract, item["relative_path"]
        content = item.read_bytes()
        digest = hashlib.sha256(content).hexdigest()
        before = state.get(name) or {}
        if before.get("hash") == digest:
            self.unchanged.append(name)
            return self._rows(None, name, digest, item)
        now = loaded_at = datetime.now(UTC)
        old_from, old_to = _day(before.get("from")), _day(before.get("to"))
        mapping = mapping_for(self.mappings, name)
        rows: FileRows | None = None
        try:
            if mapping is None:
                raise FileUnreadable(0, "file", "no mapping's pattern matches the file name ("
                                                f"{', '.join(m.pattern for m in self.mappings)})")
            rows = read_rows(contract, mapping, name, read(content, name, mapping))
        except FileUnreadable as exc:
            self._set_aside(name, exc.row, exc.field, exc.raw_value, exc.problem, "unreadable", now)
            self._note(name, digest, item, "unreadable", 0, 1, None, None, loaded_at)
            state[name] = {**before, "hash": digest}
            return self._rows(None, name, digest, item)
        self.quarantined.extend(rows.quarantined)
        for row in rows.quarantined:
            log.warning("%s; %s", RecordError(contract.source, f"{name} row {row['record_id'].rsplit(':', 1)[1]}",
                                              row["field"], row["error"]), "quarantined")
        if rows.bad_rows and self.on_bad_rows is OnBadRows.REJECT_FILE:
            self._set_aside(name, 0, "file", None, f"rejected: {rows.bad_rows} bad row(s) and on_bad_rows = "
                            f"reject_file; {'its earlier version stays loaded' if before else 'nothing loaded'}",
                            "rejected", now)
            self._note(name, digest, item, "rejected", 0, len(rows.quarantined) + 1, None, None, loaded_at)
            state[name] = {**before, "hash": digest}
            return self._rows(None, name, digest, item)
        if rows.rows == 0:
            log.warning("%s: %s has no readable row (%d bad); %s", contract.source, name, rows.bad_rows,
                        "its earlier version's rows stay loaded" if before.get("from") and not contract.keep_versions
                        else "nothing loaded")
            self._note(name, digest, item, "empty", 0, len(rows.quarantined), None, None, loaded_at)
            state[name] = {**before, "hash": digest}
            return self._rows(None, name, digest, item)
        changed_from, changed_to = _span(rows.first_day, rows.last_day, old_from, old_to)
        self._note(name, digest, item, "loaded", rows.rows, len(rows.quarantined), changed_from, changed_to,
                   loaded_at)
        state[name] = {"hash": digest, "from": rows.first_day and rows.first_day.isoformat(),
                       "to": rows.last_day and rows.last_day.isoformat()}
        self.loaded.append(name)
        log.info("%s: %s: %d rows loaded (%s to %s)%s%s", contract.source, name, rows.rows, rows.first_day,
                 rows.last_day, f", {rows.bad_rows} bad rows quarantined" if rows.bad_rows else "",
                 f", replacing the version {before['hash'][:12]}" if before.get("hash") else "")
        progress.add_rows(contract.source, rows.rows)
        return self._rows(rows, name, digest, item)

    def _rows(self, rows: FileRows | None, name: str, digest: str, item: Any) -> pa.Table:
        table = self.contract.rows_table
        if rows is None:
            return table.empty()
        n = rows.rows
        columns: dict[str, Any] = {"file_name": [name] * n, "row_number": rows.row_numbers}
        if self.contract.keep_versions:
            columns |= {"content_hash": [digest] * n, "file_modified": [item["modification_date"]] * n}
        columns |= rows.values
        return pa.table(columns, schema=table.arrow_schema())

    def _set_aside(self, name: str, row: int, field: str, raw: Any, problem: str, what: str, at: datetime) -> None:
        self.set_aside.append(name)
        log.warning("%s; the file is %s, nothing of it loaded",
                    RecordError(self.contract.source, f"{name} row {row}", field, problem), what)
        self.quarantined.append(quarantine_row(self.contract.table, name, row, field, raw, problem, at))

    def _note(self, name: str, digest: str, item: Any, status: str, loaded: int, quarantined: int,
              changed_from: date | None, changed_to: date | None, at: datetime) -> None:
        self.manifest.append({
            "file_name": name, "content_hash": digest, "size": int(item["size_in_bytes"]),
            "modified": item.get("modification_date"), "status": status, "rows_loaded": loaded,
            "rows_quarantined": quarantined, "changed_from": changed_from, "changed_to": changed_to, "loaded_at": at,
        })

    def summary(self) -> None:
        log.info("%s: %d file(s) loaded, %d unchanged (loaded before), %d set aside%s", self.contract.source,
                 len(self.loaded), len(self.unchanged), len(self.set_aside),
                 f": {', '.join(self.set_aside)} (see raw_{self.contract.source}.quarantine)" if self.set_aside else "")


def file_resources(contract: FileContract, bucket_url: str, file_glob: str, mappings: Sequence[FileMapping],
                   on_bad_rows: OnBadRows) -> tuple[DltResource, DltResource, DltResource]:
    """The rows, manifest and quarantine resources of a file source, for one run."""
    from dlt.sources.filesystem import filesystem

    run = _Run(contract, mappings, on_bad_rows)
    listing = filesystem(bucket_url=bucket_url, file_glob=file_glob)

    def read_files() -> Iterator[pa.Table]:
        state = dlt.current.resource_state().setdefault(STATE_KEY, {})
        if _is_local(bucket_url) and not Path(_local_path(bucket_url)).is_dir():
            raise ConfigurationError(contract.source, "bucket_url", "names no folder that exists")
        # The listing's order is the filesystem's; by name, a run reads (and logs) the same way each time.
        for item in sorted(listing, key=lambda i: i["relative_path"]):
            yield run.file(item, state)
        run.summary()

    rows = dlt.resource(read_files, **contract.rows_table.resource_hints())()

    def drain(collected: list[dict[str, Any]], table: Any, first: bool) -> Iterator[pa.Table]:
        out = list(collected)
        collected.clear()
        if out:
            yield pa.Table.from_pylist(out, schema=table.arrow_schema())
        elif first:
            # An empty table once, so the raw table exists (and the gate can read it) before anything is bad.
            yield table.empty()

    @dlt.transformer(data_from=rows, **contract.manifest_table.resource_hints())
    def files(_: pa.Table) -> Iterator[pa.Table]:
        first = not run.manifest_announced
        run.manifest_announced = True
        yield from drain(run.manifest, contract.manifest_table, first)

    @dlt.transformer(data_from=rows, **contract.quarantine_table.resource_hints())
    def quarantine(_: pa.Table) -> Iterator[pa.Table]:
        first = not run.quarantine_announced
        run.quarantine_announced = True
        yield from drain(run.quarantined, contract.quarantine_table, first)

    return rows, files, quarantine


def _is_local(bucket_url: str) -> bool:
    scheme = urlparse(bucket_url).scheme
    return len(scheme) <= 1 or scheme == "file"


def _local_path(bucket_url: str) -> str:
    return urlparse(bucket_url).path if bucket_url.startswith("file:") else bucket_url


def listing_fingerprint(bucket_url: str, file_glob: str) -> str:
    """A digest of the folder's listing (names, sizes, modification times): it changes when a file is
    added or changed, and no file is read to tell."""
    import fsspec
    from dlt.common.storages.fsspec_filesystem import glob_files

    fs, _ = fsspec.core.url_to_fs(bucket_url)
    entries = sorted(f"{i['relative_path']}\t{i['size_in_bytes']}\t{i['modification_date'].isoformat()}"
                     for i in glob_files(fs, bucket_url, file_glob))
    return hashlib.sha256("\n".join(entries).encode()).hexdigest()[:32]


def watcher(source: str, default_glob: str = "*") -> Any:
    """A source's `watch`: its folder's listing fingerprint, its settings resolved through dlt the
    way the source resolves them (environment, .dlt/*.toml)."""

    def watch() -> str:
        bucket_url = folder_setting(source, dlt.config.get(f"sources.{source}.bucket_url"))
        file_glob = dlt.config.get(f"sources.{source}.file_glob") or default_glob
        return listing_fingerprint(bucket_url, str(file_glob))

    watch.__doc__ = f"The listing fingerprint of {source}'s folder."
    return watch
