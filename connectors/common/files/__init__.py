"""Files dropped in a folder or bucket, as rows of a contract: shared by every file source.

- `fields`: the contract a source's files map to (its fields and their kinds) and the raw tables
  built from it: the rows, the `files` manifest and the `quarantine`.
- `mapping`: the mapping config, per file name pattern: which column is which field, date formats,
  decimal comma, thousands separator, delimiter, sheet, and defaults (a file's currency, platform).
- `readers`: CSV and XLSX to cells, with the row numbers a person sees in a spreadsheet.
- `load`: one file to rows and quarantined values, checked cell by cell.
- `source`: the dlt resources (dlt's `filesystem` source lists the files) and the listing
  fingerprint a sensor watches.
"""

from connectors.common.files.fields import Field, FileContract
from connectors.common.files.mapping import FileMapping, parse_mappings
from connectors.common.files.source import OnBadRows, file_resources, listing_fingerprint, watcher

__all__ = ["Field", "FileContract", "FileMapping", "OnBadRows", "file_resources", "listing_fingerprint",
           "parse_mappings", "watcher"]
