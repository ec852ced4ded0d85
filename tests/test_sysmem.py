"""evote.sysmem: freed heap pages go back to the system where glibc allows it."""

from __future__ import annotations

import ctypes.util
import os
import sys

from evote.sysmem import release_free_memory


def test_release_free_memory_uses_glibc_where_there_is_one() -> None:
    has_glibc = sys.platform.startswith("linux") and ctypes.util.find_library("c") is not None
    assert release_free_memory() is has_glibc
    # Twice is harmless: it only gives back what is free.
    assert release_free_memory() is has_glibc


def _resident_pages() -> int:
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1])


def test_release_free_memory_gives_back_a_freed_heap_that_free_keeps() -> None:
    if not release_free_memory():
        return
    # Objects of 1,000 bytes come from glibc's heap (above pymalloc's 512, below mmap's
    # threshold); one live object allocated after them pins the heap's top, so free() alone
    # cannot shrink it: the situation after reading a large setup.
    garbage = [bytes(1000) + bytes([i % 256]) for i in range(100_000)]
    pin = bytes(1000) + b"pin"
    del garbage
    kept = _resident_pages()
    release_free_memory()
    returned = kept - _resident_pages()
    assert returned * os.sysconf("SC_PAGE_SIZE") > 50 * 1024 * 1024, returned
    assert pin.endswith(b"pin")
