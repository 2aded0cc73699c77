"""A file from the ECB (or a mirror) that cannot be read as the documented format."""

from __future__ import annotations

from connectors.common.errors import VendorError
from connectors.fx_rates.settings import SOURCE


class FileFormatError(VendorError):
    """The file as a whole is unreadable (not a zip, not XML, no header). Retrying a download that
    arrived complete cannot fix it, so it is not retried. Bad lines and fields are `RecordError`s."""

    def __init__(self, file: str, problem: str):
        self.file = file
        super().__init__(SOURCE, f"{file}: {problem}")
