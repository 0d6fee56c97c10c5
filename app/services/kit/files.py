"""Files people download: each exporter turns what a service loaded into bytes (XLSX, XML, …)."""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO
from urllib.parse import quote

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def ascii_slug(value: str, *, fallback: str = "tep") -> str:
    """ "Đô thị văn minh" -> "do-thi-van-minh": a file name every browser and Zalo keep intact."""
    decomposed = unicodedata.normalize("NFD", value.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:60] or fallback


def attachment(filename: str, *, display: str | None = None) -> str:
    """A Content-Disposition value: an ASCII name, and the Vietnamese one (RFC 6266 filename*) when given."""
    value = f'attachment; filename="{filename}"'
    if display and display != filename:
        value += f"; filename*=UTF-8''{quote(display)}"
    return value


@dataclass(frozen=True)
class ExportFile:
    path: str  # a temporary file; the router that sends it removes it once sent
    filename: str  # ASCII
    display_name: str
    media_type: str


def temp_file(suffix: str, write: Callable[[BinaryIO], None]) -> str:
    """A temporary file holding what `write` wrote; removed again when writing fails."""
    fd, path = tempfile.mkstemp(prefix="hoithi-export-", suffix=suffix)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
    except BaseException:
        os.unlink(path)
        raise
    return path
