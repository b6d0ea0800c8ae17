# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for checksum parsing and streaming file digests."""

from __future__ import annotations

import hashlib
import os

import pytest

from ansible_collections.conaktiv.server.plugins.plugin_utils import _checksum
from ansible_collections.conaktiv.server.plugins.plugin_utils._checksum import (
    SUPPORTED_ALGORITHMS,
    check_algorithm,
    file_digest,
    parse_checksum,
    verify_file,
)

SHA256_EMPTY = hashlib.sha256(b"").hexdigest()
MD5_EMPTY = hashlib.md5(b"", usedforsecurity=False).hexdigest()
SHA1_EMPTY = hashlib.sha1(b"", usedforsecurity=False).hexdigest()
SHA512_EMPTY = hashlib.sha512(b"").hexdigest()


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (f"sha256:{SHA256_EMPTY}", ("sha256", SHA256_EMPTY)),
        (f"SHA256:{SHA256_EMPTY.upper()}", ("sha256", SHA256_EMPTY)),
        (f"  sha256 : {SHA256_EMPTY}  ", ("sha256", SHA256_EMPTY)),
        (SHA256_EMPTY, ("sha256", SHA256_EMPTY)),
        (SHA256_EMPTY.upper(), ("sha256", SHA256_EMPTY)),
        (f"md5:{MD5_EMPTY}", ("md5", MD5_EMPTY)),
        (f"sha1:{SHA1_EMPTY}", ("sha1", SHA1_EMPTY)),
        (f"sha512:{SHA512_EMPTY}", ("sha512", SHA512_EMPTY)),
        (f"sha3_256:{hashlib.sha3_256(b'').hexdigest()}", ("sha3_256", hashlib.sha3_256(b"").hexdigest())),
        (f"blake2b:{hashlib.blake2b(b'').hexdigest()}", ("blake2b", hashlib.blake2b(b"").hexdigest())),
    ],
)
def test_parse_checksum(spec, expected):
    assert parse_checksum(spec) == expected


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        (f"crc32:{'0' * 8}", "unsupported checksum algorithm 'crc32'"),
        (f"whirlpool:{'0' * 128}", "unsupported checksum algorithm"),
        (f"shake_128:{'0' * 64}", "unsupported checksum algorithm 'shake_128'"),
        (f":{SHA256_EMPTY}", "unsupported checksum algorithm ''"),
        ("sha256:", "not a hexadecimal digest"),
        (f"sha256:{SHA256_EMPTY[:-1]}g", "not a hexadecimal digest"),
        (f"sha256:{SHA256_EMPTY[:32]} {SHA256_EMPTY[32:]}", "not a hexadecimal digest"),
        (f"sha256:{SHA256_EMPTY}:extra", "not a hexadecimal digest"),
        ("sha256:https://example.com/pkg.sha256", "not a hexadecimal digest"),
        (f"sha256:{SHA256_EMPTY[:-2]}", "a sha256 checksum has 64 hex digits, .* has 62"),
        (f"sha256:{SHA256_EMPTY}00", "has 66"),
        (f"md5:{SHA256_EMPTY}", "a md5 checksum has 32 hex digits"),
        (f"sha1:{MD5_EMPTY}", "a sha1 checksum has 40 hex digits"),
        (MD5_EMPTY, "taken as sha256 .* has 32; for md5 write 'md5:<hex>'"),
        (SHA1_EMPTY, "for sha1 write 'sha1:<hex>'"),
        (SHA512_EMPTY, "for .*sha512.* write"),
        ("abc", "taken as sha256 and needs 64 hex digits, 'abc' has 3$"),
        ("zz", "not a hexadecimal digest"),
    ],
)
def test_parse_checksum_rejects(spec, message):
    with pytest.raises(ValueError, match=message):
        parse_checksum(spec)


@pytest.mark.parametrize("value", [None, 123, b"sha256:00"])
def test_parse_checksum_rejects_non_text(value):
    with pytest.raises(ValueError, match="must be text"):
        parse_checksum(value)


def test_supported_algorithms_are_guaranteed_and_fixed_size():
    assert "sha256" in SUPPORTED_ALGORITHMS
    assert set(SUPPORTED_ALGORITHMS) <= hashlib.algorithms_guaranteed
    assert not any(name.startswith("shake_") for name in SUPPORTED_ALGORITHMS)


def test_check_algorithm():
    assert check_algorithm(" SHA256 ") == "sha256"
    with pytest.raises(ValueError, match="use one of .*sha256"):
        check_algorithm("sha257")
    with pytest.raises(ValueError, match="must be text"):
        check_algorithm(None)


@pytest.mark.parametrize("size", [0, 1, 1024 * 1024 - 1, 1024 * 1024, 1024 * 1024 + 1, 3 * 1024 * 1024 + 17])
@pytest.mark.parametrize("algorithm", ["sha256", "md5", "sha512", "SHA1"])
def test_file_digest_matches_hashlib_across_chunk_boundaries(tmp_path, size, algorithm):
    data = os.urandom(size)
    path = tmp_path / "pkg.zip"
    path.write_bytes(data)
    assert file_digest(str(path), algorithm) == hashlib.new(algorithm.lower(), data).hexdigest()


def test_file_digest_errors(tmp_path):
    with pytest.raises(ValueError, match="cannot compute the checksum of .*missing.zip"):
        file_digest(str(tmp_path / "missing.zip"), "sha256")
    with pytest.raises(ValueError, match="cannot compute the checksum"):
        file_digest(str(tmp_path), "sha256")  # a folder
    with pytest.raises(ValueError, match="unsupported checksum algorithm"):
        file_digest(str(tmp_path / "missing.zip"), "crc32")


def test_verify_file(tmp_path):
    path = tmp_path / "pkg.zip"
    path.write_bytes(b"package")
    good = hashlib.sha256(b"package").hexdigest()
    verify_file(str(path), f"sha256:{good}")
    verify_file(str(path), good.upper())
    with pytest.raises(ValueError, match=f"checksum mismatch for .*pkg.zip: expected sha256:{SHA256_EMPTY}, got sha256:{good}"):
        verify_file(str(path), SHA256_EMPTY)


def test_file_digest_streams_in_one_mib_chunks(tmp_path, monkeypatch):
    reads = []
    real_open = open

    class Recorder:
        """Wraps the real file and records each read size."""

        def __init__(self, *args, **kwargs):
            self._handle = real_open(*args, **kwargs)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self._handle.close()

        def read(self, size=-1):
            reads.append(size)
            return self._handle.read(size)

    monkeypatch.setattr(_checksum, "open", Recorder, raising=False)
    path = tmp_path / "big.bin"
    data = os.urandom(2 * 1024 * 1024 + 5)
    path.write_bytes(data)
    assert file_digest(str(path), "sha256") == hashlib.sha256(data).hexdigest()
    assert reads == [1024 * 1024] * 4  # three reads with data, one that finds the end
