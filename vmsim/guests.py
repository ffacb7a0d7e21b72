"""Finding guest binaries: a path, or the name of a guest built into guests/build/."""

from __future__ import annotations

import os
from pathlib import Path

GUEST_DIR = Path(os.environ.get("VMSIM_GUEST_DIR",
                                Path(__file__).resolve().parent.parent / "guests" / "build"))


def built_guests() -> dict[str, Path]:
    return {p.stem: p for p in sorted(GUEST_DIR.glob("*.elf"))}


def resolve_guest(name_or_path: str) -> str:
    """A name without a path separator or .elf suffix names a built guest."""
    if os.sep not in name_or_path and not name_or_path.endswith(".elf"):
        built = built_guests()
        if name_or_path in built:
            return str(built[name_or_path])
        if not os.path.exists(name_or_path):
            from vmsim.errors import VmsimError

            known = ", ".join(built) or "none built; run 'make guests'"
            raise VmsimError(f"guest {name_or_path!r} is neither a file nor a built guest "
                             f"(built guests: {known})")
    return name_or_path
