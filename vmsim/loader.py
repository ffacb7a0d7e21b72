"""Guest images: ELF32 multiboot v1 or ELF64, read with pyelftools.

A bad file is a one-line VmsimError naming the file and what is wrong with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile

from vmsim.errors import VmsimError
from vmsim.multiboot import find_header


@dataclass(frozen=True)
class Segment:
    addr: int
    data: bytes
    memsz: int


@dataclass(frozen=True)
class GuestImage:
    path: str
    bits: int  # 32: multiboot, protected mode; 64: long mode
    entry: int
    segments: tuple[Segment, ...]

    @property
    def extent(self) -> tuple[int, int]:
        lo = min(s.addr for s in self.segments)
        hi = max(s.addr + s.memsz for s in self.segments)
        return lo, hi


def load_elf(path: str) -> GuestImage:
    """Read a guest ELF and check that vmsim (and QEMU, for ELF32) can boot it."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise VmsimError(f"guest {path}: no such file; give a path or a built guest's "
                         "name (see 'vmsim guests')") from None
    except IsADirectoryError:
        raise VmsimError(f"guest {path} is a directory, not an ELF file") from None
    except OSError as e:
        raise VmsimError(f"guest {path}: {e.strerror}") from None
    if raw[:4] != b"\x7fELF":
        raise VmsimError(f"guest {path} is not an ELF file; build guests with 'make guests'")
    try:
        from io import BytesIO

        elf = ELFFile(BytesIO(raw))
        machine = elf["e_machine"]
        bits = elf.elfclass
        if elf["e_type"] != "ET_EXEC":
            raise VmsimError(f"guest {path} is an ELF {elf['e_type']}, not an executable "
                             "(link it static and non-PIE)")
        if (machine, bits) == ("EM_386", 32):
            if find_header(raw) is None:
                raise VmsimError(f"guest {path} has no multiboot v1 header in its first 8 KiB;"
                                 " put the header section first")
        elif (machine, bits) != ("EM_X86_64", 64):
            raise VmsimError(f"guest {path} is an ELF{bits} for {machine}; vmsim runs x86 "
                             "guests (ELF32 multiboot or ELF64)")
        segments = []
        for seg in elf.iter_segments():
            if seg["p_type"] != "PT_LOAD" or seg["p_memsz"] == 0:
                continue
            segments.append(Segment(seg["p_paddr"], seg.data(), seg["p_memsz"]))
        entry = elf["e_entry"]
    except ELFError as e:
        raise VmsimError(f"guest {path} is a damaged ELF file: {e}") from None
    if not segments:
        raise VmsimError(f"guest {path} has no loadable segments")
    return GuestImage(str(p), bits, entry, tuple(segments))
