"""Give the memory freed after reading a large setup back to the operating system.

Reading the setup entry of a million-voter election allocates and frees a few hundred MB
(its base64 line, its payload, the credential list being checked). CPython frees those
objects, but glibc's allocator keeps freed heap pages mapped for reuse, so the resident size
stays at its peak; a process pool forked afterwards starts with that peak in every worker.
``malloc_trim(0)`` (glibc, ``man 3 malloc_trim``) returns the free pages at once. Elsewhere
(musl, macOS, Windows) there is no such call and nothing is done.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from functools import cache
from typing import Any


@cache
def _glibc() -> Any | None:
    if not sys.platform.startswith("linux"):
        return None
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        library = ctypes.CDLL(name)
        trim = library.malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


def release_free_memory() -> bool:
    """Return freed heap pages to the system; whether there was a way to (glibc)."""
    trim = _glibc()
    if trim is None:
        return False
    trim(0)
    return True
