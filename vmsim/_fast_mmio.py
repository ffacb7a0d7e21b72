"""MMIO callbacks registered with libunicorn directly, one Python frame per access.

The binding's Uc.mmio_map puts two Python frames (an adapter and an exception guard)
between libunicorn and the device; on a TPM command's ~20 register accesses that is a
measurable share of vmsim's per-command cost (bench/README.md). This registers the bus's
own callbacks as ctypes callbacks instead; they keep the guard's contract themselves (an
exception is kept, the CPU stopped, the machine re-raises it after emu_start). If the
binding ever changes shape, the public mmio_map is used (same callback signatures).
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable

from unicorn import Uc, UcError

try:
    from unicorn.unicorn_py3.unicorn import (
        MMIO_READ_CFUNC,
        MMIO_WRITE_CFUNC,
        uc_hook_h,
        uclib,
    )
except ImportError:  # pragma: no cover - other binding layouts
    uclib = None

ReadFn = Callable[[object, int, int, object], int]
WriteFn = Callable[[object, int, int, int, object], None]


class MmioMapper:
    """Maps windows; holds the ctypes callbacks alive and the first escaped exception."""

    def __init__(self, uc: Uc) -> None:
        self.uc = uc
        self.error: BaseException | None = None
        self._keep: list[object] = []

    def guard(self, exc: BaseException) -> None:
        """Keep the first exception a callback could not handle and stop the CPU; the
        machine re-raises it after emu_start (what the binding's own guard does)."""
        if self.error is None:
            self.error = exc
        self.uc.emu_stop()

    def map(self, base: int, size: int, read: ReadFn, write: WriteFn) -> None:
        """``read(handle, offset, size, ud)`` / ``write(handle, offset, size, value, ud)``
        are called by libunicorn itself, so they must not raise: catch and ``guard``."""
        handle = getattr(self.uc, "_uch", None)
        if uclib is None or handle is None:
            self.uc.mmio_map(base, size, read, None, write, None)
            return
        r, w = MMIO_READ_CFUNC(read), MMIO_WRITE_CFUNC(write)
        self._keep += [r, w]
        status = uclib.uc_mmio_map(handle, base, size, r, ctypes.c_void_p(0), w,
                                   ctypes.c_void_p(0))
        if status != 0:
            raise UcError(status)


def pc_reader(uc: Uc, reg: int) -> Callable[[], int]:
    """A cheap program-counter read for the trace tap (~4x faster than Uc.reg_read,
    which dispatches on the register's type every call)."""
    handle = getattr(uc, "_uch", None)
    if uclib is None or handle is None:
        return lambda: uc.reg_read(reg)
    value = ctypes.c_uint64(0)
    ref = ctypes.byref(value)
    read = uclib.uc_reg_read

    def pc() -> int:
        read(handle, reg, ref)
        return value.value

    return pc


def _c_noop() -> int | None:
    """Address of a C function that ignores its arguments and has no side effects.

    A memory hook whose callback is C code costs nothing in Python, yet its mere presence
    makes Unicorn keep the PC exact inside MMIO callbacks. libc's abs() fits the hook's
    signature on the x86-64 SysV ABI (arguments in registers, the caller cleans up, the
    int it returns in a void hook is ignored)."""
    try:
        libc = ctypes.CDLL(None)
        return ctypes.cast(libc.abs, ctypes.c_void_p).value
    except (OSError, AttributeError):  # pragma: no cover
        return None


_NOOP = _c_noop()


def exact_pc_hook(uc: Uc, hook_types: int, begin: int, end: int,
                  fallback: Callable[..., None]) -> None:
    """Install the hook that makes the PC exact over [begin, end], as cheaply as possible."""
    handle = getattr(uc, "_uch", None)
    if uclib is None or handle is None or _NOOP is None:
        uc.hook_add(hook_types, fallback, None, begin, end)
        return
    hh = uc_hook_h()
    status = uclib.uc_hook_add(handle, ctypes.byref(hh), hook_types,
                               ctypes.c_void_p(_NOOP), ctypes.c_void_p(0),
                               ctypes.c_uint64(begin), ctypes.c_uint64(end))
    if status != 0:
        raise UcError(status)
