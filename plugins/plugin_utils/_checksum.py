# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Package checksums: "sha256:<hex>" (or a bare 64-digit sha256) and streaming file digests."""

from __future__ import annotations

import hashlib
import re

_CHUNK = 1024 * 1024
_HEX = re.compile(r"[0-9a-f]+")
# Fixed-size digests only: shake_* have no natural length to compare against.
SUPPORTED_ALGORITHMS: tuple[str, ...] = tuple(sorted(name for name in hashlib.algorithms_guaranteed if not name.startswith("shake_")))


def _digest_length(algorithm: str) -> int:
    """Hex digits of the algorithm's digest."""
    return hashlib.new(algorithm, usedforsecurity=False).digest_size * 2


def _algorithm_for_length(length: int) -> list[str]:
    """Algorithms whose hex digest has ``length`` digits (for a helpful hint)."""
    return [name for name in SUPPORTED_ALGORITHMS if _digest_length(name) == length]


def check_algorithm(algorithm: str) -> str:
    """The algorithm name lower-cased if supported, else ValueError listing the supported ones."""
    if not isinstance(algorithm, str):
        raise ValueError(f"a checksum algorithm must be text, not {type(algorithm).__name__}")
    name = algorithm.strip().lower()
    if name not in SUPPORTED_ALGORITHMS:
        raise ValueError(f"unsupported checksum algorithm {algorithm!r}; use one of {', '.join(SUPPORTED_ALGORITHMS)}")
    return name


def parse_checksum(spec: str) -> tuple[str, str]:
    """Split "<algorithm>:<hex>" into (algorithm, lower-case hex); a bare 64-digit hex string is sha256."""
    if not isinstance(spec, str):
        raise ValueError(f"a checksum must be text like 'sha256:<hex digits>', not {type(spec).__name__}")
    text = spec.strip()
    if not text:
        raise ValueError("the checksum is empty; give it as 'sha256:<64 hex digits>'")
    if ":" in text:
        algorithm_text, digest_text = text.split(":", 1)
        algorithm = check_algorithm(algorithm_text)
    else:
        algorithm, digest_text = "sha256", text
    digest = digest_text.strip().lower()
    if not _HEX.fullmatch(digest):
        raise ValueError(f"the checksum {spec!r} is not '<algorithm>:<hex digits>': {digest_text!r} is not a hexadecimal digest")
    expected = _digest_length(algorithm)
    if len(digest) != expected:
        if ":" not in text:
            others = _algorithm_for_length(len(digest))
            hint = f"; for {' or '.join(others)} write '{others[0]}:<hex>'" if others else ""
            raise ValueError(f"a checksum without an algorithm is taken as sha256 and needs 64 hex digits, {spec!r} has {len(digest)}{hint}")
        raise ValueError(f"a {algorithm} checksum has {expected} hex digits, {spec!r} has {len(digest)}")
    return algorithm, digest


def file_digest(path: str, algorithm: str) -> str:
    """The lower-case hex digest of the file at ``path``, read in 1 MiB chunks."""
    digest = hashlib.new(check_algorithm(algorithm), usedforsecurity=False)
    try:
        with open(path, "rb") as handle:
            while True:
                chunk = handle.read(_CHUNK)
                if not chunk:
                    break
                digest.update(chunk)
    except OSError as exc:
        raise ValueError(f"cannot compute the checksum of {path}: {exc.strerror or exc}") from None
    return digest.hexdigest()


def verify_file(path: str, spec: str) -> None:
    """Raise ValueError if the file's digest differs from the checksum ``spec``."""
    algorithm, expected = parse_checksum(spec)
    actual = file_digest(path, algorithm)
    if actual != expected:
        raise ValueError(f"checksum mismatch for {path}: expected {algorithm}:{expected}, got {algorithm}:{actual}")
