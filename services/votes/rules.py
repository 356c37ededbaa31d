"""The numbers a council sets for vote imports (built from Settings on the bot side)."""

from __future__ import annotations

from dataclasses import dataclass

MB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class VotesLimits:
    """VOTES_MAX_FILE_MB, VOTES_MAX_UNPACKED_MB and VOTES_MAX_ZIP_MEMBERS, in bytes and files."""

    max_file_bytes: int = 20 * MB
    max_unpacked_bytes: int = 200 * MB
    max_zip_members: int = 5000

    @classmethod
    def from_megabytes(cls, file_mb: float, unpacked_mb: float, members: int) -> VotesLimits:
        return cls(int(file_mb * MB), int(unpacked_mb * MB), members)
