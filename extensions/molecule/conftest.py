"""Fixtures for the testinfra tests of the conaktiv.server molecule scenarios.

Prepare (shared/prepare.yml) leaves, per inventory host, ``<work>/<host>/expected.json``: the simulator site's paths,
ports and token, the checksums taken before the update, the maildir and the expected failed phase. ``<work>`` is
``conaktiv`` below molecule's ephemeral directory, which molecule exports to the verifier.
"""

from __future__ import annotations

import email
import email.message
import email.policy
import json
import os
import typing as t
from pathlib import PurePosixPath

import pytest

HISTORY_NAME = "conaktiv-update-history.jsonl"


def work_dir() -> PurePosixPath:
    """The scenario's work folder (on the host, which is this machine)."""
    ephemeral = os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY")
    if not ephemeral:
        pytest.fail("MOLECULE_EPHEMERAL_DIRECTORY is not set: run these tests through molecule (scripts/molecule.sh)")
    return PurePosixPath(ephemeral) / "conaktiv"


class SiteCheck:
    """Read-only looks at one host's simulator site through testinfra, with what prepare recorded before the update."""

    def __init__(self, host: t.Any, expected: dict[str, t.Any]) -> None:
        self.host = host
        self.expected = expected
        self.info: dict[str, t.Any] = expected["site"]
        self.name: str = host.backend.get_hostname()

    def path(self, *parts: str) -> str:
        """A path below the site root."""
        return str(PurePosixPath(self.info["root"], *parts))

    def text(self, *parts: str) -> str:
        """Content of a file below the site root."""
        return t.cast(str, self.host.file(self.path(*parts)).content_string)

    def checksums(self, kind: str) -> dict[str, str]:
        """{path below the site root: sha256} of what `kind` covers (prepare's conaktiv_molecule_checksummed), now,
        taken with the same command as prepare's."""
        paths = self.expected["checksummed"][kind]
        listing = self.host.run("cd %s && find " + " ".join(["%s"] * len(paths)) + " -type f -exec sha256sum {} +", self.info["root"], *paths)
        # find exits non-zero when a path is gone; the files it could not list then show up in the comparison.
        return dict(reversed(line.split("  ", 1)) for line in listing.stdout.splitlines())

    def control_status(self) -> dict[str, t.Any]:
        """GET /api/status of the site's control interface (the simulator's http control type)."""
        answer = self.host.check_output("curl -fsS --max-time 10 -H %s %s", f"X-ConAktiv-Token: {self.info['token']}",
                                        f"http://127.0.0.1:{self.info['control_port']}/api/status")
        return t.cast(dict[str, t.Any], json.loads(answer))

    def server_pid(self) -> int:
        """Pid of the running server as the service wrapper reports it; fails when the wrapper says stopped."""
        status = self.host.run("%s status", self.info["wrapper"])
        assert status.rc == 0 and status.stdout.startswith("running pid "), status.stdout + status.stderr
        return int(status.stdout.split()[-1])

    def assert_runs(self, version: str) -> None:
        """The wrapper's server process runs from the server folder, which holds `version`, and answers ready as `version`."""
        process = self.host.process.get(pid=self.server_pid())
        assert "conaktiv_server.py" in process.args and self.info["server_dir"] in process.args
        assert self.text("ConAktiv Server", "version.txt").strip() == version
        status = self.control_status()
        assert (status["version"], status["structure_version"], status["state"]) == (version, version, "ready"), status
        assert self.host.socket(f"tcp://127.0.0.1:{self.info['client_port']}").is_listening

    def history(self) -> list[dict[str, t.Any]]:
        """The update history records on the host, oldest first."""
        file = self.host.file(self.path(HISTORY_NAME))
        assert file.is_file, f"no update history at {file.path}"
        return [json.loads(line) for line in file.content_string.splitlines() if line.strip()]

    def mails(self) -> list[tuple[dict[str, t.Any], email.message.EmailMessage]]:
        """Every message the scenario's SMTP server captured about this host: (envelope, message), in arrival order."""
        maildir = self.expected["maildir"]
        captured = []
        for name in sorted(name for name in self.host.file(maildir).listdir() if name.endswith(".json")):
            envelope = json.loads(self.host.file(f"{maildir}/{name}").content_string)
            raw = self.host.file(f"{maildir}/{name.removesuffix('.json')}.eml").content_string
            message = t.cast(email.message.EmailMessage, email.message_from_string(raw, policy=email.policy.default))
            if f"ConAktiv-Update auf {self.name}:" in message["Subject"]:
                captured.append((envelope, message))
        return captured


@pytest.fixture(name="site")
def fixture_site(host: t.Any) -> SiteCheck:
    """The simulator site of this inventory host, with what prepare recorded for it."""
    path = work_dir() / host.backend.get_hostname() / "expected.json"
    record = host.file(str(path))
    assert record.is_file, f"{path} is missing: did prepare run?"
    return SiteCheck(host, json.loads(record.content_string))
