# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for conaktiv.server.stage: get, verify and unpack the new version beside the server."""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import json
import os
import shutil
import tempfile
import typing as t
import zipfile
import tarfile

from ansible_collections.conaktiv.server.plugins.plugin_utils._archive import (
    _READ_ERRORS, longest_path, member_path, names_need_normalizing, read_members, single_top_folder, total_unpacked_size, unsafe_members, verify_archive,
    windows_name_problems, write_normalized_zip)
from ansible_collections.conaktiv.server.plugins.plugin_utils._checksum import file_digest, parse_checksum
from ansible_collections.conaktiv.server.plugins.plugin_utils._download import DownloadError, fetch, file_name, private_folder, public_url
from ansible_collections.conaktiv.server.plugins.plugin_utils._host import Host
from ansible_collections.conaktiv.server.plugins.plugin_utils._i18n import LANGUAGES, text
from ansible_collections.conaktiv.server.plugins.plugin_utils._options import COMMON_SPEC, Layout, layout
from ansible_collections.conaktiv.server.plugins.plugin_utils._phase import PhaseAction, PhaseFailed
from ansible_collections.conaktiv.server.plugins.plugin_utils._runner import ModuleFailed
from ansible_collections.conaktiv.server.plugins.plugin_utils._run_journal import JOURNAL_OPTION
from ansible_collections.conaktiv.server.plugins.plugin_utils._stage_manifest import MANIFEST_NAME, differences, summary
from ansible_collections.conaktiv.server.plugins.plugin_utils._stage_manifest import from_package as manifest_from_package
from ansible_collections.conaktiv.server.plugins.plugin_utils._stage_manifest import parse as parse_manifest
from ansible_collections.conaktiv.server.plugins.plugin_utils._version import parse_version, versions_match

ARGUMENT_SPEC: dict[str, t.Any] = {
    **COMMON_SPEC,
    **JOURNAL_OPTION,
    "version": {"type": "str", "required": True},
    "source": {"type": "str", "required": True},
    "source_username": {"type": "str"},
    "source_password": {"type": "str", "no_log": True},
    "checksum": {"type": "str"},
    "validate_certs": {"type": "bool", "default": True},
    "ca_path": {"type": "path"},
    "timeout": {"type": "int", "default": 60},
    "marker": {"type": "list", "elements": "str", "default": ["Server Database"]},
    "version_file": {"type": "str", "default": "version.txt"},
    "cache_dir": {"type": "path"},
    "free_space_margin": {"type": "float", "default": 0.1},
    "force": {"type": "bool", "default": False},
    "allow_cross_volume": {"type": "bool", "default": False},
    "max_path_length": {"type": "int", "default": 260},
    "verify_staged": {"type": "bool", "default": True},
    "download_only": {"type": "bool", "default": False},
    "max_age_days": {"type": "float", "default": 0},
    "language": {"type": "str", "choices": list(LANGUAGES), "default": "de"},
}

_UNPACK_FOLDER = ".unpack"


class ActionModule(PhaseAction):
    """Stage the package in Temp_Updateordner; a re-run with the same version and checksum is a no-op."""

    ARGUMENT_SPEC = ARGUMENT_SPEC
    JOURNAL_KEYS = ("version", "checksum", "staged_path", "restaged", "files", "unpacked_bytes", "reused", "staged_at")
    # A large package over a slow line.
    LEASE_S = 4 * 3600.0
    # The begin goes with the unpack (the first change), the done with it too: one round trip on POSIX.
    JOURNAL_BEGIN_WITH_CHANGE = True

    def execute(self, host: Host, args: dict[str, t.Any], task_vars: dict[str, t.Any]) -> dict[str, t.Any]:
        where = layout(host, args)
        manifest_path = host.join(where.temp, MANIFEST_NAME)
        algorithm, expected = parse_checksum(args["checksum"]) if args.get("checksum") else ("sha256", None)
        # One look (one round trip on POSIX): both folders, the stage marker and manifest, the free space and the volumes.
        seen = host.survey(dirs=[where.parent, where.temp], files=[where.stage_marker, manifest_path], room=(where.parent, where.server))
        listing = seen.listings
        staged = self._current_marker(host, where, listing[where.temp], seen.texts[where.stage_marker])
        wanted = {"version": args["version"], "checksum": f"{algorithm}:{expected}" if expected else None}
        result: dict[str, t.Any] = {"staged_path": where.staged_tree, "temp_path": where.temp, "version": args["version"],
                                    "source": public_url(args["source"])}
        why_again = None
        if staged and not args["force"] and staged.get("version") == wanted["version"] and \
                (wanted["checksum"] is None or staged.get("checksum") == wanted["checksum"]):
            why_again = self._reuse_problem(host, where, staged, seen.texts[manifest_path], args)
            if why_again is None:
                verified = (staged.get("manifest") or {}).get("files")
                # At the default verbosity: in the window the operator sees that no download happens, and since when it is staged.
                self.say(text("stage_reused", args["language"], host=task_vars.get("inventory_hostname", ""), version=args["version"],
                              when=_when(staged.get("staged_at")), files=verified if args["verify_staged"] and verified is not None else "0"))
                return {**result, "changed": False, "reused": True, "checksum": staged.get("checksum"), "staged_at": staged.get("staged_at"),
                        "msg": f"version {args['version']} staged at {staged.get('staged_at')} is reused"
                               + (f" ({verified} file{'' if verified == 1 else 's'} verified)" if args["verify_staged"] and verified is not None else "")}
        redo = bool(staged) or _has(host, listing[where.temp], host.name(where.staged_tree))
        if why_again and not self._task.check_mode:
            self.say(text("stage_again", args["language"], host=task_vars.get("inventory_hostname", ""), version=args["version"], why=why_again))
        if args["download_only"]:
            return self._download_only(host, where, args, algorithm, expected, seen.room, listing, result, task_vars, why_again)
        if self._task.check_mode:
            return {**result, "changed": True, "msg": f"would {'re-' if redo else ''}stage version {args['version']}"
                    + (f" ({why_again})" if why_again else "")}
        source = public_url(args["source"])
        with tempfile.TemporaryDirectory(prefix="conaktiv-stage-") as scratch:
            try:
                package, digest = self._fetch(args, algorithm, expected, scratch, task_vars)
            except (DownloadError, PhaseFailed) as exc:
                if why_again:
                    raise PhaseFailed(f"the staged version {args['version']} cannot be used ({why_again}) and cannot be staged again: {exc}") from None
                raise
            except (OSError, ValueError) as exc:
                # Controller disk trouble (cache_dir, the scratch folder): name the source, not the temporary file.
                raise PhaseFailed(f"cannot fetch {source}: {_controller_problem(exc, scratch)}") from None
            facts = self._inspect(package, args, scratch)
            package = facts["package"]
            self._check_path_length(host, where, source, facts["members"], facts["top_folder"], args["max_path_length"])
            server_there = _has(host, listing[where.parent], where.name)
            # An old or half-done staging is worthless now; removing it first also frees its space (marker first: a crash in between
            # reads as nothing staged).
            leftovers = [path for path in (where.stage_marker, manifest_path, where.staged_tree, host.join(where.temp, _UNPACK_FOLDER))
                         if _has(host, listing[where.temp], host.name(path))]
            room = seen.room
            if leftovers:
                self.journal_flush()
                host.remove_many(leftovers)
                room = None  # their space is free now: look again
            self._check_room(host, where, package, facts["unpacked_bytes"], args, server_there, room)
            manifest = facts["manifest"]
            marker = {"version": args["version"], "checksum": f"{algorithm}:{digest}", "source": public_url(args["source"]),
                      "staged_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                      "files": facts["files"], "unpacked_bytes": facts["unpacked_bytes"],
                      "manifest": {"name": MANIFEST_NAME, "sha256": manifest.digest(), "files": len(manifest.files)}}
            result.update(changed=True, checksum=marker["checksum"], files=facts["files"], unpacked_bytes=facts["unpacked_bytes"], restaged=redo,
                          reused=False, staged_at=marker["staged_at"],
                          msg=f"staged version {args['version']}" + (f" again: {why_again}" if why_again else ""))
            try:
                # One transfer and (on POSIX) one command, which also writes the journal's begin before and done after it, makes a
                # missing temporary folder private (0700), writes the manifest before the unpack (a marker never exists without it)
                # and gives the staged tree the server folder's access; a failure removes what was unpacked: half an unpack is worth
                # nothing and may be what fills the disk, where the run journal and the history are written too.
                warnings = host.stage_package(package, where.temp, host.join(where.temp, _UNPACK_FOLDER), facts["top_folder"],
                                              where.staged_tree, where.stage_marker, json.dumps(marker, indent=1, sort_keys=True) + "\n",
                                              args["marker"], journal=self.journal_bracket(done=result), reference=where.server,
                                              manifest=(manifest_path, manifest.text()))
                if warnings:
                    result["warnings"] = result.get("warnings", []) + warnings
            except ModuleFailed as exc:
                raise PhaseFailed(f"unpacking {source} in {where.temp} failed: {_named(str(exc), package, source)}") from None
        return result

    def _download_only(self, host: Host, where: Layout, args: dict[str, t.Any], algorithm: str, expected: str | None, room: t.Any,
                       listing: dict[str, list[str]], result: dict[str, t.Any], task_vars: dict[str, t.Any], why_again: str | None) -> dict[str, t.Any]:
        """Get and check the package into the controller's cache without writing on the host (a staging run does this before it
        takes the update lock, so a long download never holds it); the host's free space is checked from the survey."""
        if not args.get("cache_dir"):
            raise PhaseFailed("download_only needs cache_dir: the package is kept there for the staging that follows")
        if self._task.check_mode:
            return {**result, "changed": True, "reused": False, "msg": f"would download {result['source']} into {args['cache_dir']}"}
        source = result["source"]
        try:
            package, digest = self._fetch(args, algorithm, expected, args["cache_dir"], task_vars)
        except (DownloadError, PhaseFailed) as exc:
            if why_again:
                raise PhaseFailed(f"the staged version {args['version']} cannot be used ({why_again}) and cannot be staged again: {exc}") from None
            raise
        except OSError as exc:
            raise PhaseFailed(f"cannot fetch {source}: {_controller_problem(exc, args['cache_dir'])}") from None
        with tempfile.TemporaryDirectory(prefix="conaktiv-stage-") as scratch:
            facts = self._inspect(package, args, scratch)
        self._check_path_length(host, where, source, facts["members"], facts["top_folder"], args["max_path_length"])
        # The staging that follows removes what is staged now: its space counts as free.
        if not any(_has(host, listing[where.temp], name) for name in (host.name(where.staged_tree), MANIFEST_NAME)):
            self._check_room(host, where, package, facts["unpacked_bytes"], args, _has(host, listing[where.parent], where.name), room)
        return {**result, "changed": True, "reused": False, "checksum": f"{algorithm}:{digest}", "files": facts["files"],
                "unpacked_bytes": facts["unpacked_bytes"], "msg": f"{source} downloaded and verified ({algorithm}:{digest})"
                + (f"; the staging on the host is replaced: {why_again}" if why_again else "")}

    @staticmethod
    def _reuse_problem(host: Host, where: Layout, staged: dict[str, t.Any], manifest_text: str | None, args: dict[str, t.Any]) -> str | None:
        """Why the staging of the wanted version cannot be used as it is (too old, or its tree is not what was verified), or None."""
        staged_at = _parse_time(staged.get("staged_at"))
        if args["max_age_days"] > 0 and staged_at is not None:
            age = datetime.datetime.now(datetime.timezone.utc) - staged_at
            if age > datetime.timedelta(days=args["max_age_days"]):
                return f"it was staged {age.days} days ago, more than max_age_days ({args['max_age_days']:g})"
        if not args["verify_staged"]:
            return None
        recorded = staged.get("manifest") or {}
        if not recorded:
            return "it has no manifest to verify it by (staged by an older version of conaktiv.server)"
        if manifest_text is None:
            return f"its manifest {MANIFEST_NAME} is missing"
        if hashlib.sha256(manifest_text.encode("utf-8")).hexdigest() != recorded.get("sha256"):
            return f"its manifest {MANIFEST_NAME} is not the one written with it"
        try:
            expected = parse_manifest(manifest_text)
        except ValueError as exc:
            return str(exc)
        problems = differences(expected, host.tree_digests(where.staged_tree), host.case_insensitive is True)
        if problems:
            return f"{len(problems)} file(s) of the staged tree differ from its manifest: {summary(problems)}"
        return None

    @staticmethod
    def _current_marker(host: Host, where: Layout, temp_entries: list[str], text: str | None) -> dict[str, t.Any] | None:
        """The stage marker, when it and the staged tree both exist; a torn marker counts as none."""
        if not all(_has(host, temp_entries, host.name(path)) for path in (where.stage_marker, where.staged_tree)):
            return None
        try:
            marker = json.loads(text or "")
        except ValueError:
            return None
        return marker if isinstance(marker, dict) else None

    def _fetch(self, args: dict[str, t.Any], algorithm: str, expected: str | None, scratch: str,
               task_vars: dict[str, t.Any]) -> tuple[str, str]:
        """Download (or reuse from the controller cache), verify the checksum; the file and its digest (computed once)."""
        name = file_name(args["source"])
        cache_dir = args.get("cache_dir")
        if cache_dir:
            private_folder(cache_dir)
        if cache_dir and expected:
            cached = os.path.join(cache_dir, f"{algorithm}-{expected}", name)
            # Never trusted by its name: the digest is computed again before the package is used.
            if os.path.isfile(cached) and file_digest(cached, algorithm) == expected:
                if os.stat(cached).st_mode & 0o077:
                    os.chmod(cached, 0o600)  # kept by an older version of this collection with the usual mode
                self.progress(f"reusing {cached}", task_vars)
                return cached, expected
            target = cached
        else:
            target = os.path.join(scratch, name)
        self.progress(f"downloading {public_url(args['source'])}", task_vars)
        fetch(args["source"], target, username=args.get("source_username"), password=args.get("source_password"),
              validate_certs=args["validate_certs"], ca_path=args.get("ca_path"), timeout=args["timeout"])
        actual = file_digest(target, algorithm)
        if expected and actual != expected:
            os.unlink(target)
            raise PhaseFailed(f"checksum mismatch for {public_url(args['source'])}: expected {algorithm}:{expected}, got {algorithm}:{actual}")
        if cache_dir and not expected:
            # Without a checksum to look it up by, the package is kept under the digest it has: the staging that follows asks
            # for exactly that one.
            cached = os.path.join(cache_dir, f"{algorithm}-{actual}", name)
            private_folder(os.path.dirname(cached))
            shutil.move(target, cached)
            target = cached
        return target, actual

    @staticmethod
    def _inspect(package: str, args: dict[str, t.Any], scratch: str) -> dict[str, t.Any]:
        """Everything that can be checked on the controller before the host is touched; ``package`` is the file to send."""
        source = public_url(args["source"])
        try:
            members = read_members(package)
        except _READ_ERRORS as exc:  # ValueError naming the file, or whatever a stdlib reader let through
            raise PhaseFailed(_archive_error(exc, package, source)) from None
        problems = unsafe_members(members)
        if problems:
            more = f"; and {len(problems) - 10} more" if len(problems) > 10 else ""
            raise PhaseFailed(f"refusing to unpack {source} (zip-slip): " + "; ".join(problems[:10]) + more, unsafe_members=problems)
        try:
            digests = verify_archive(package)
            if names_need_normalizing(package):
                # Written by a Windows tool (backslashes, names in the OEM code page): one clean copy, so that unzip, win_unzip
                # and every other tool unpack the names the checks below read.
                normalized = os.path.join(scratch, "normalized-" + os.path.basename(package))
                write_normalized_zip(package, normalized)
                package = normalized
        except _READ_ERRORS as exc:
            raise PhaseFailed(_archive_error(exc, package, source)) from None
        top = single_top_folder(members)
        prefix = f"{top}/" if top else ""
        # Compared by path: "./ConAktiv Server/x" (bsdtar, tar of ".") is "ConAktiv Server/x".
        stored = {member_path(member.name): member for member in members}
        names = set(stored)
        for item in args["marker"]:
            wanted = prefix + item.strip("/")
            if wanted not in names and not any(name.startswith(wanted + "/") for name in names):
                raise PhaseFailed(f"{source} does not look like a ConAktiv server: {item!r} is missing")
        version_member = prefix + args["version_file"]
        if args["version_file"] and version_member in names:
            try:
                if stored[version_member].kind != "file":
                    raise KeyError("it is a folder, not a file")
                found = _read_member(package, stored[version_member].name).strip()
            except (KeyError, *_READ_ERRORS) as exc:
                raise PhaseFailed(f"{source}: cannot read {version_member!r} from the archive: {' '.join(str(exc).split())}") from None
            try:
                parse_version(found)
            except ValueError as exc:
                raise PhaseFailed(f"{source}: {version_member!r} holds no version: {exc}") from None
            if not versions_match(found, args["version"]):
                raise PhaseFailed(f"{source} contains version {found}, not the requested {args['version']}")
        files = sum(1 for member in members if member.kind == "file")
        return {"top_folder": top, "files": files, "unpacked_bytes": total_unpacked_size(members), "members": members, "package": package,
                "manifest": manifest_from_package(digests, top)}

    @staticmethod
    def _check_path_length(host: Host, where: Layout, source: str, members: list[t.Any], top: str | None, limit: int) -> None:
        """On Windows, refuse a package whose members Windows cannot name, or whose paths would reach MAX_PATH in any place the
        update puts them: the unpack folder (with the archive's top folder), the staged tree, the server folder, and the
        ``_oldNNNN`` / ``_failedNNNN`` folder it becomes later."""
        if host.family != "windows":
            return
        problems = windows_name_problems(members)
        if problems:
            more = f"; and {len(problems) - 10} more" if len(problems) > 10 else ""
            raise PhaseFailed(f"{source} cannot be unpacked on Windows: " + "; ".join(problems[:10]) + more, unsafe_members=problems)
        if limit <= 0:
            return
        paths = [dataclasses.replace(member, name=member_path(member.name)) for member in members]
        inner = [member for member in paths if member.name and (not top or member.name != top)]
        stripped = [dataclasses.replace(member, name=member.name[len(top) + 1:]) if top else member for member in inner]
        unpack = host.join(where.temp, _UNPACK_FOLDER)
        places = [(longest_path(members, unpack), unpack, members)]
        for prefix, shown in ((where.staged_tree, where.staged_tree), (where.server, where.server),
                              (where.server + "_old0000", where.server + "_oldNNNN"), (where.server + "_failed0000", where.server + "_failedNNNN")):
            places.append((longest_path(stripped, prefix), shown, stripped))
        longest, shown, named = max(places, key=lambda item: item[0])
        if longest >= limit:
            worst = max(named, key=lambda member: len(member.name))
            raise PhaseFailed(f"{source} has paths of {longest} characters once in {shown} (limit {limit - 1}), e.g. {worst.name!r}: "
                              "shorten server_path or enable long paths and raise max_path_length")

    @staticmethod
    def _check_room(host: Host, where: Layout, package: str, unpacked: int, args: dict[str, t.Any], server_there: bool,
                    room: tuple[int, bool] | None) -> None:
        """Enough free space for the package and its tree, and the same volume as the server folder (from the survey, or
        one more look)."""
        needed = int((os.path.getsize(package) + unpacked) * (1 + args["free_space_margin"]))
        free, same_volume = room or host.room(where.parent, where.server if server_there else None)
        if not args["allow_cross_volume"] and not same_volume:
            raise PhaseFailed(f"{where.temp} and {where.server} are on different volumes: the swap would have to copy the new version "
                              "while the server is down instead of renaming it (set allow_cross_volume to accept that)")
        if free < needed:
            raise PhaseFailed(f"not enough free disk space in {where.parent}: {needed} bytes needed, {free} free")


def _parse_time(value: t.Any) -> datetime.datetime | None:
    """The marker's staged_at as an aware moment, None when it is missing or unreadable."""
    try:
        moment = datetime.datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.timezone.utc)


def _when(moment: t.Any) -> str:
    """A stage marker's ISO moment (UTC) as people read it: "2026-11-30 14:02 UTC"."""
    parsed = _parse_time(moment)
    return f"{parsed.astimezone(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC" if parsed else str(moment or "?")


def _has(host: Host, names: list[str], wanted: str) -> bool:
    """Whether ``wanted`` is among ``names`` by the host's file-name rules."""
    return any(host.same_name(name, wanted) for name in names)


def _named(text: str, path: str, source: str) -> str:
    """``text`` on one line, the controller's copy of the package (``path``: a scratch or cache file) named as the source."""
    return " ".join(text.replace(path, source).split())


def _controller_problem(exc: Exception, scratch: str) -> str:
    """Why a controller file operation failed; a file in the scratch folder (gone by now) is not named."""
    filename = getattr(exc, "filename", None)
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror + (f": {filename}" if filename and not str(filename).startswith(scratch) else "")
    return " ".join(str(exc).replace(scratch + os.sep, "").split())


def _archive_error(exc: BaseException, package: str, source: str) -> str:
    """What the archive readers found wrong, about the source the user gave (they name the file they read)."""
    text = _named(str(exc), package, source)
    # _archive's own messages start with the file; a stdlib error that slipped through does not.
    return text if text.startswith(source) else f"{source} is a truncated or corrupt archive: {text or type(exc).__name__}"


def _read_member(package: str, name: str) -> str:
    """The text of one archive member (the version file)."""
    if zipfile.is_zipfile(package):
        with zipfile.ZipFile(package) as archive:
            return archive.read(name).decode("utf-8", "replace")
    with tarfile.open(package) as archive:
        handle = archive.extractfile(name)
        return handle.read().decode("utf-8", "replace") if handle else ""
