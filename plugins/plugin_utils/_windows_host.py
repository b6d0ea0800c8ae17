# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The host interface on Windows targets (WinRM, PowerShell), through ``ansible.windows`` / ``community.windows``.

Every operation is a maintained module. Where none exists, a constant ``win_powershell`` snippet below
gets its values through ``parameters`` (never by building script text), and each snippet says why it exists.
Windows realities handled here: paths are ``PureWindowsPath`` (drive letters, UNC, backslashes, spaces),
names compare case-insensitively, a rename refused because a file is in use is retried with a capped
backoff, and service start/stop is bounded by a deadline although ``win_service`` itself has none.
See ``docs/windows.md``.
"""

from __future__ import annotations

import json
import pathlib
import re
import time
import typing as t
import unicodedata

from ._cutover import STEPS, CutoverPlan, CutoverReport, item_json
from ._host import CommandResult, Host, HttpResponse, PathStat, http_response
from ._runner import ModuleFailed
from ._service import ServiceError

# -- the only PowerShell of this collection ---------------------------------------------------------

# Rename on the host. No module renames (win_copy copies, win_file creates and removes). Directory.Move is a
# rename that never copies and refuses an existing target (Move-Item would move the folder *into* it), and
# neither it nor File.Move reads [ ] as wildcards. File.Move also works across volumes, for a single file.
MOVE_SCRIPT = """\
param([string]$Path, [string]$Destination)
if ([System.IO.Directory]::Exists($Path)) { [System.IO.Directory]::Move($Path, $Destination) }
else { [System.IO.File]::Move($Path, $Destination) }
"""

# Free space and identity of the volume holding a path: no module reports them for a path (win_disk_facts
# lists every disk and does not map paths to volumes). AvailableFreeSpace honours the user's disk quota.
# DriveInfo knows drive letters only: a UNC path fails clearly; a volume mounted in a folder counts as its drive.
VOLUME_SCRIPT = """\
param([string]$Path)
$drive = New-Object -TypeName System.IO.DriveInfo -ArgumentList ([System.IO.Path]::GetPathRoot($Path))
$Ansible.Result = @{ free_bytes = $drive.AvailableFreeSpace; volume_id = $drive.Name }
$Ansible.Changed = $false
"""

# A zip of several files/folders, each under its own name: community.windows.win_zip takes one source only.
# Compress-Archive refuses an existing target. Used only for more than one source (one source: win_zip).
ZIP_SCRIPT = """\
param([string[]]$Path, [string]$Destination)
Compress-Archive -LiteralPath $Path -DestinationPath $Destination
"""

# Create a file exclusively (the lock ticket): of two racing callers exactly one creates it. No module does:
# win_file state=touch and state=directory succeed on an existing path, and New-Item checks first and creates
# afterwards, which is not atomic. FileMode.CreateNew is one CreateFile(CREATE_NEW) call, atomic on NTFS and SMB.
# Only "exists" (IOException 0x80070050, ERROR_FILE_EXISTS) is an answer; everything else fails with its message.
CLAIM_SCRIPT = """\
param([string]$Path)
try { [System.IO.File]::Open($Path, [System.IO.FileMode]::CreateNew).Dispose(); $created = $true }
catch [System.IO.IOException] { if ($_.Exception.HResult -ne -2147024816) { throw }; $created = $false }
$Ansible.Result = @{ created = $created }; $Ansible.Changed = $created
"""

# The cutover (DESIGN.md: the one designed exception to "snippets only"): the whole downtime in one round trip, because
# every round trip over WinRM (0.5 to 2 s) would be downtime. Steps as in plugin_utils/_cutover.py: the journal's swap
# begin, rename the server folder to the old folder, rename the staged tree in, carry the preserved items over, the
# swap done, the start begin, the start request, its wait until the service runs (polled: WaitForStatus would not notice
# a service that stopped again), the start done and the begin of the phase that follows (handed over). .NET and
# -LiteralPath only (no wildcards). A failing step does not throw: it is reported in failed_step / error with the steps
# done before, so the journal and the caller know how far it got. The journal lines are finished here with the host's
# UTC time and appended with CRLF (as win_lineinfile).
CUTOVER_SCRIPT = """\
param([string]$Journal, [string]$Server, [string]$Old, [string]$Staged, [string]$MoveOld, [string[]]$ItemsOld, [string[]]$ItemsNew,
      [string[]]$ItemNames, [string]$BeginTail, [string]$DoneTail, [string]$StartTail, [string]$StartDoneTail, [string]$ThenTail,
      [string]$ServiceName, [string]$StartWaitSeconds, [string]$RetrySeconds, [string]$FirstPause, [string]$PauseCap)
$steps = New-Object -TypeName System.Collections.Generic.List[string]
$carried = New-Object -TypeName System.Collections.Generic.List[int]
$absent = New-Object -TypeName System.Collections.Generic.List[int]
$Ansible.Changed = $true
$Ansible.Result = @{ steps = $steps; carried = $carried; absent = $absent; failed_step = $null; error = $null; in_use = $false; refusals = 0; waited = 0.0 }
$utf8 = New-Object -TypeName System.Text.UTF8Encoding -ArgumentList $false
function Add-JournalLine([string]$Tail) {
    $now = [DateTime]::UtcNow.ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss'+00:00'", [System.Globalization.CultureInfo]::InvariantCulture)
    $lead = ''
    if ([System.IO.File]::Exists($Journal)) {
        $bytes = [System.IO.File]::ReadAllBytes($Journal)
        if ($bytes.Length -gt 0 -and $bytes[$bytes.Length - 1] -ne 10) { $lead = "`r`n" }
    }
    [System.IO.File]::AppendAllText($Journal, $lead + '{"at":"' + $now + '",' + $Tail + "`r`n", $utf8)
}
function Set-Failed([string]$Step, $Record) {
    $Ansible.Result.failed_step = $Step
    $Ansible.Result.error = $Record.Exception.Message
}
function Move-Folder([string]$From, [string]$To) {
    # A file in use (a virus scanner, an indexer) refuses the rename for a while: tried again with a growing pause.
    $delay = [double]$FirstPause
    $waited = 0.0
    while ($true) {
        try { [System.IO.Directory]::Move($From, $To); return }
        catch {
            $inner = $_.Exception
            while ($inner.InnerException) { $inner = $inner.InnerException }
            $Ansible.Result.in_use = @(-2147024891, -2147024864, -2147024863) -contains $inner.HResult
            if ($Ansible.Result.in_use) { $Ansible.Result.refusals++ }
            if (-not $Ansible.Result.in_use -or ($waited + $delay) -gt [double]$RetrySeconds) { throw }
            Start-Sleep -Milliseconds ([int]($delay * 1000))
            $waited += $delay
            $Ansible.Result.waited += $delay
            $delay = [Math]::Min($delay * 2, [double]$PauseCap)
        }
    }
}
$steps.Add('stopped')
try { Add-JournalLine $BeginTail; $steps.Add('begin') } catch { Set-Failed 'begin' $_; return }
try {
    if ($MoveOld -eq '1') {
        if ([System.IO.Directory]::Exists($Old) -or [System.IO.File]::Exists($Old)) { throw "$Old exists already" }
        Move-Folder $Server $Old
    }
    $steps.Add('renamed_old')
} catch { Set-Failed 'renamed_old' $_; return }
try {
    if ($Staged) { Move-Folder $Staged $Server }
    $steps.Add('renamed_new')
} catch { Set-Failed 'renamed_new' $_; return }
try {
    for ($i = 0; $i -lt $ItemsOld.Count; $i++) {
        if (Test-Path -LiteralPath $ItemsOld[$i]) {
            if (Test-Path -LiteralPath $ItemsNew[$i]) { Remove-Item -LiteralPath $ItemsNew[$i] -Recurse -Force }
            $null = [System.IO.Directory]::CreateDirectory([System.IO.Path]::GetDirectoryName($ItemsNew[$i]))
            Copy-Item -LiteralPath $ItemsOld[$i] -Destination $ItemsNew[$i] -Recurse -Force
            $carried.Add($i)
        } else { $absent.Add($i) }
    }
    $steps.Add('carried')
} catch { Set-Failed 'carried' $_; return }
$carriedNames = @($carried | ForEach-Object { $ItemNames[$_] }) -join ','
$absentNames = @($absent | ForEach-Object { $ItemNames[$_] }) -join ','
try {
    Add-JournalLine ('"data":{"carried_over":[' + $carriedNames + '],"not_present":[' + $absentNames + '],' + $DoneTail)
    $steps.Add('done')
} catch { Set-Failed 'done' $_; return }
if (-not $StartTail) { return }
try { Add-JournalLine $StartTail; $steps.Add('start_begin') } catch { Set-Failed 'start_begin' $_; return }
try {
    $service = Get-Service -Name $ServiceName
    $service.Start()
    $deadline = [DateTime]::UtcNow.AddSeconds([double]$StartWaitSeconds)
    while ($true) {
        $service.Refresh()
        if ($service.Status -eq 'Running') { break }
        if ($service.Status -eq 'Stopped') { throw "the service $ServiceName stopped again during its start" }
        if ([DateTime]::UtcNow -gt $deadline) {
            throw ('the service ' + $ServiceName + ' is not running ' + $StartWaitSeconds + ' s after its start (' + $service.Status + ')')
        }
        Start-Sleep -Milliseconds 250
    }
    $steps.Add('started')
} catch { Set-Failed 'started' $_; return }
try {
    $epoch = ([DateTimeOffset]::UtcNow.ToUnixTimeMilliseconds() / 1000.0).ToString([System.Globalization.CultureInfo]::InvariantCulture)
    Add-JournalLine ('"data":{"started_at":' + $epoch + ',' + $StartDoneTail)
    $steps.Add('start_done')
} catch { Set-Failed 'start_done' $_; return }
if (-not $ThenTail) { return }
try { Add-JournalLine $ThenTail; $steps.Add('then_begin') } catch { Set-Failed 'then_begin' $_; return }
"""

SCRIPTS = (MOVE_SCRIPT, VOLUME_SCRIPT, ZIP_SCRIPT, CLAIM_SCRIPT, CUTOVER_SCRIPT)

# -- error classification ------------------------------------------------------------------------------

# HRESULTs of "in use": ERROR_ACCESS_DENIED (what renaming a folder with an open file gives),
# ERROR_SHARING_VIOLATION and ERROR_LOCK_VIOLATION. A real permission problem also reads "access denied";
# it is retried too and then fails with the same clear message, which names the cause.
_IN_USE_HRESULTS = frozenset({-2147024891, -2147024864, -2147024863})
_IN_USE_WORDS = ("being used by another process", "access to the path", "is denied", "locked a portion of the file")

# sc.exe exit codes that are not a failure for the wanted state, and the meaning of the others.
_SC_OK = {"stop": {0, 1053, 1061, 1062}, "start": {0, 1053, 1056}}
_SC_MEANING = {
    5: "access denied (the WinRM user needs to be an administrator)",
    1051: "other running services depend on it: stop them first",
    1052: "the service does not accept a stop request",
    1058: "the service is disabled",
    1060: "no such service",
    1069: "the service account could not log on",
}

_UNPACKABLE = (".zip", ".tar", ".tar.gz", ".tgz")
_CHECKSUMS = ("md5", "sha1", "sha256", "sha384", "sha512")
_STATE_NAMES = {"started": "running", "stopped": "stopped"}


def _exception_chain(error: dict[str, t.Any]) -> list[dict[str, t.Any]]:
    """The exception of a win_powershell error record and its inner exceptions, outermost first."""
    chain: list[dict[str, t.Any]] = []
    exception = error.get("exception")
    while isinstance(exception, dict) and len(chain) < 10:
        chain.append(exception)
        exception = exception.get("inner_exception")
    return chain


def _script_error(result: dict[str, t.Any]) -> tuple[str, bool]:
    """The innermost error message of a failed win_powershell run, and whether it means "in use"."""
    errors = [error for error in result.get("error") or [] if isinstance(error, dict)]
    if not errors:
        return str(result.get("msg") or "the script failed without an error record"), False
    chain = _exception_chain(errors[0])
    message = str((chain[-1] if chain else {}).get("message") or errors[0].get("output") or "unknown error").strip()
    in_use = any(item.get("hresult") in _IN_USE_HRESULTS for item in chain) or _mentions_in_use(message)
    return message, in_use


def _mentions_in_use(message: str) -> bool:
    lowered = message.lower()
    return any(word in lowered for word in _IN_USE_WORDS)


# -- regular expressions: Python syntax in, .NET syntax out ---------------------------------------------

# Python's inline flags without a .NET counterpart (ASCII-only classes, locale, the Unicode default spelled out).
_PYTHON_ONLY_FLAGS = frozenset("aLu")
_PYTHON_QUANTIFIER = re.compile(r"\{(\d*)(,?)(\d*)\}")


def _dotnet_word_char(char: str) -> bool:
    """Whether .NET's Regex counts ``char`` as a word character: an escaped one it does not know is an error."""
    return unicodedata.category(char)[0] == "L" or unicodedata.category(char) in ("Mn", "Mc", "Nd", "Pc") or char in "\u200c\u200d"


def dotnet_regex(regexp: str) -> str:
    """``regexp`` (Python syntax) rewritten for .NET's Regex, which win_lineinfile compiles; ValueError where they cannot agree.

    ``re.escape`` output stays as it is except for escaped word characters other than ASCII letters and digits
    (``\\_``, ``\\ü`` from older or hand-made escaping): Python reads them as the character, .NET rejects them.
    Also rewritten: named groups, ``\\Z``, ``{,n}`` / ``{,}``, a literal ``{`` and a ``[`` inside a class (``-[`` is
    class subtraction in .NET). Refused: ``\\N{...}``, ``\\U``, possessive quantifiers, the flags a, L and u.
    """
    try:
        re.compile(regexp)
    except re.error as exc:
        raise ValueError(f"not a regular expression: {regexp!r} ({exc})") from exc
    out: list[str] = []
    index, class_open, previous = 0, -1, ""
    while index < len(regexp):
        char, rest = regexp[index], regexp[index + 1:]
        piece, step, kind = char, 1, "atom"
        if char == "\\":
            escaped, step = rest[:1], 2
            if escaped in ("N", "U"):
                raise ValueError(f"{regexp!r}: .NET has no \\{escaped} escape; write the character itself")
            if escaped == "Z":
                piece = "\\z"  # Python's \Z is the very end; .NET's \Z also matches before a final newline
            elif not (escaped.isascii() and escaped.isalnum()) and _dotnet_word_char(escaped):
                piece = escaped
            else:
                piece = char + escaped
        elif class_open >= 0:
            first = index == class_open + 1 or (index == class_open + 2 and regexp[class_open + 1] == "^")
            if char == "]" and not first:
                class_open = -1
            elif char == "[":
                piece = "\\["
        elif char == "[":
            class_open = index
        elif char == "{":
            match = _PYTHON_QUANTIFIER.match(regexp, index)
            if match and any(match.groups()):
                piece, step, kind = "{" + (match[1] or "0") + match[2] + match[3] + "}", match.end() - index, "quantifier"
            else:
                piece = "\\{"  # a literal { to Python; escaped, .NET cannot read it as a quantifier either
        elif char in "*+?" and previous != "open":
            if char == "+" and previous == "quantifier":
                raise ValueError(f"{regexp!r}: .NET has no possessive quantifiers")
            kind = "lazy" if char == "?" and previous == "quantifier" else "quantifier"
        elif char == "(":
            kind = "open"
            if rest.startswith("?P<"):
                piece, step = "(?<", 4
            elif rest.startswith("?P="):
                name = rest[3:rest.index(")")]
                piece, step, kind = f"\\k<{name}>", len(name) + 5, "atom"
            elif (flags := re.match(r"\?([a-zA-Z]+)", rest)) and set(flags[1]) & _PYTHON_ONLY_FLAGS:
                raise ValueError(f"{regexp!r}: .NET has no inline flag {min(set(flags[1]) & _PYTHON_ONLY_FLAGS)}")
        out.append(piece)
        previous = kind
        index += step
    return "".join(out)


class WindowsHost(Host):
    """Maps host operations onto ``ansible.windows`` and ``community.windows`` modules."""

    family = "windows"
    flavour = pathlib.PureWindowsPath
    case_insensitive = True
    slurp_module = "ansible.windows.slurp"
    # win_lineinfile writes CRLF line ends; unlike lineinfile it does not create missing parent folders.
    lineinfile_module = "community.windows.win_lineinfile"
    copy_action = "ansible.windows.win_copy"
    # Windows editors often save UTF-8 with a byte order mark.
    text_encoding = "utf-8-sig"

    #: How long a rename or removal refused because a file is in use is retried; the first and the longest pause between tries.
    in_use_retry_s: float = 60.0
    in_use_backoff_first_s: float = 1.0
    in_use_backoff_cap_s: float = 10.0
    #: Deadline of a service start/stop when the caller gives none; the first and the longest pause between two state polls.
    service_timeout_s: float = 300.0
    service_poll_first_s: float = 0.5
    service_poll_cap_s: float = 5.0

    # -- file system ----------------------------------------------------------------------------
    def stat(self, path: str, checksum_algorithm: str | None = None) -> PathStat:
        args: dict[str, t.Any] = {"path": path, "follow": False, "get_checksum": checksum_algorithm is not None}
        if checksum_algorithm:
            if checksum_algorithm not in _CHECKSUMS:
                raise ValueError(f"win_stat cannot compute a {checksum_algorithm} checksum; use one of {', '.join(_CHECKSUMS)}")
            args["checksum_algorithm"] = checksum_algorithm
        found = self.runner.module("ansible.windows.win_stat", args, probe=True)["stat"]
        if not found.get("exists"):
            return PathStat(exists=False)
        # A junction is a link too. lnk_source is the target made absolute (lnk_target keeps a relative one relative),
        # like the POSIX adapter's. A link to a folder is a folder to Windows (isdir), unlike lstat on POSIX.
        is_link = bool(found.get("islnk") or found.get("isjunction"))
        mtime = found.get("lastwritetime")
        return PathStat(exists=True, is_dir=bool(found.get("isdir")), size=int(found.get("size") or 0), checksum=found.get("checksum"),
                        mtime=float(mtime) if mtime is not None else None, is_link=is_link,
                        link_target=(found.get("lnk_source") or found.get("lnk_target")) if is_link else None)

    def list_existing_dirs(self, paths: list[str]) -> dict[str, list[str]]:
        if not paths:
            return {}
        # win_find skips a path it has already seen (compared lower-case): ask each folder once.
        unique = list({self._key(path): path for path in paths}.values())
        args = {"paths": unique, "file_type": "any", "hidden": True, "recurse": False, "get_checksum": False, "follow": False}
        result = self.runner.module("ansible.windows.win_find", args, probe=True)
        listing: dict[str, list[str]] = {}
        for item in result.get("files") or []:
            found = pathlib.PureWindowsPath(item["path"])
            listing.setdefault(self._key(str(found.parent)), []).append(found.name)
        return {path: sorted(listing.get(self._key(path), []), key=str.casefold) for path in paths}

    def make_dir(self, path: str) -> bool:
        return bool(self.runner.module("ansible.windows.win_file", {"path": path, "state": "directory"}).get("changed"))

    def remove(self, path: str) -> bool:
        def attempt() -> dict[str, t.Any]:
            result = self.runner.module("ansible.windows.win_file", {"path": path, "state": "absent"}, allow_failure=True)
            if result.get("failed"):
                return {"failed": True, "msg": str(result.get("msg")), "in_use": _mentions_in_use(str(result.get("msg"))), "result": result}
            return result

        result = self._retry_in_use(attempt, f"removing {path}", "ansible.windows.win_file",
                                    f"Part of {path} may already be gone; what is left is still there.")
        return bool(result.get("changed"))

    def rename(self, source: str, target: str) -> None:
        def attempt() -> dict[str, t.Any]:
            result = self._powershell(MOVE_SCRIPT, {"Path": source, "Destination": target})
            if result.get("failed"):
                message, in_use = _script_error(result)
                return {"failed": True, "msg": message, "in_use": in_use, "result": result}
            return result

        self._retry_in_use(attempt, f"renaming {source} to {target}", "ansible.windows.win_powershell",
                           f"Nothing was moved: {source} is unchanged, so the server can still be started from it.")

    def put_line(self, path: str, line: str, regexp: str) -> bool:
        # win_lineinfile calls the option regex (regexp is only an alias) and compiles it with .NET's Regex: see dotnet_regex.
        # Like lineinfile it replaces the last matching line; it writes CRLF line ends.
        result = self.runner.module(self.lineinfile_module, {"path": path, "regex": dotnet_regex(regexp), "line": line, "insertafter": "EOF",
                                                             "create": True})
        return bool(result.get("changed"))

    def claim(self, path: str) -> bool:
        result = self._powershell(CLAIM_SCRIPT, {"Path": path})
        if not result.get("failed") and isinstance(result.get("result"), dict):
            return bool(result["result"].get("created"))
        message = _script_error(result)[0]
        # A folder at the path refuses CreateNew with "access denied", not "exists": whether the path exists now decides.
        if self.stat(path).exists:
            return False
        raise ModuleFailed("ansible.windows.win_powershell", f"creating the lock ticket {path} failed: {message}", result)

    def cutover(self, plan: CutoverPlan) -> CutoverReport:
        # One snippet (CUTOVER_SCRIPT): over WinRM every extra round trip would be downtime.
        parameters = {"Journal": plan.journal, "Server": plan.server, "Old": plan.old, "Staged": plan.staged or "",
                      "MoveOld": "1" if plan.move_old else "0", "ItemsOld": list(plan.item_paths_old), "ItemsNew": list(plan.item_paths_new),
                      "ItemNames": item_json(plan.items), "BeginTail": plan.begin_tail, "DoneTail": plan.done_tail,
                      "StartTail": plan.start_tail or "", "StartDoneTail": plan.start_done_tail or "", "ThenTail": plan.then_tail or "",
                      "ServiceName": plan.service_name or "",
                      "StartWaitSeconds": str(int(plan.start_wait_s)), "RetrySeconds": str(self.in_use_retry_s),
                      "FirstPause": str(self.in_use_backoff_first_s), "PauseCap": str(self.in_use_backoff_cap_s)}
        result = self._powershell(CUTOVER_SCRIPT, parameters)
        reported = result.get("result") if isinstance(result.get("result"), dict) else {}
        steps = [str(step) for step in reported.get("steps") or []]
        report = CutoverReport(steps, [plan.items[int(index)] for index in reported.get("carried") or []],
                               [plan.items[int(index)] for index in reported.get("absent") or []])
        if reported.get("failed_step"):
            report.failed_step, report.error = str(reported["failed_step"]), str(reported.get("error") or "")
            if reported.get("in_use") and report.failed_step in ("renamed_old", "renamed_new"):
                moved = plan.server if report.failed_step == "renamed_old" else plan.staged
                unchanged = (f"Nothing was moved: {plan.server} is unchanged, so the server can still be started from it."
                             if report.failed_step == "renamed_old" else f"{plan.server} was moved to {plan.old}; {moved} is unchanged.")
                report.error = (f"a file in it is still in use ({report.error}); refused {reported.get('refusals')} times over "
                                f"{float(reported.get('waited') or 0):.0f} s. {unchanged} Find the process holding it (Resource Monitor, "
                                "CPU tab, Associated Handles) and re-run.")
        elif result.get("failed"):
            # The snippet itself could not run (or broke outside its steps): the first step not reported is the one.
            report.failed_step = next((step for step in STEPS if step not in steps), "start_done")
            report.error = _script_error(result)[0]
        return report

    def copy_tree(self, source: str, target: str) -> None:
        # win_copy (remote_src) copies a folder *into* dest unless src ends in a backslash, which copies only its
        # content (and creates nothing for an empty folder). With equal names, copying into the parent is exact.
        if self.same_name(self.name(source), self.name(target)):
            # The trailing backslash marks dest as a folder, so a file is copied into it too (created when missing).
            self.runner.action("ansible.windows.win_copy", {"src": source, "dest": self.parent(target).rstrip("\\") + "\\", "remote_src": True})
            return
        if self.stat(source).is_dir:
            self.make_dir(target)
            self.runner.action("ansible.windows.win_copy", {"src": source.rstrip("\\/") + "\\", "dest": target, "remote_src": True})
        else:
            self.runner.action("ansible.windows.win_copy", {"src": source, "dest": target, "remote_src": True})

    def same_volume(self, first: str, second: str) -> bool:
        # What volume_id reports is the drive root (DriveInfo), so the drives decide, without a round trip. A volume
        # mounted into a folder is not told apart; a rename across it fails at once (ERROR_NOT_SAME_DEVICE), moving nothing.
        return pathlib.PureWindowsPath(first).drive.casefold() == pathlib.PureWindowsPath(second).drive.casefold()

    def free_bytes(self, path: str) -> int:
        return int(self._volume(path)["free_bytes"])

    def volume_id(self, path: str) -> str:
        return str(self._volume(path)["volume_id"]).lower()

    def put_file(self, local_path: str, remote_path: str) -> None:
        self.runner.action("ansible.windows.win_copy", {"src": local_path, "dest": remote_path})

    def unpack(self, archive: str, target: str) -> None:
        lowered = archive.lower()
        if not lowered.endswith(_UNPACKABLE):
            raise ValueError(f"cannot unpack {archive} on Windows: community.windows.win_unzip handles {', '.join(_UNPACKABLE)} only")
        result = self.runner.module("community.windows.win_unzip", {"src": archive, "dest": target}, allow_failure=True)
        if result.get("failed"):
            hint = " (tar packages need tar.exe: Windows Server 2019 / Windows 10 1803 or newer; use the zip package)" \
                if not lowered.endswith(".zip") else ""
            raise ModuleFailed("community.windows.win_unzip", f"unpacking {archive} into {target} failed: {result.get('msg')}{hint}", result)

    def make_zip(self, sources: list[str], target: str) -> None:
        if not target.lower().endswith(".zip") or not sources:
            raise ValueError(f"make_zip needs at least one source and a target ending in .zip, got {sources!r} -> {target!r}")
        if len(sources) == 1:
            result = self.runner.module("community.windows.win_zip", {"src": sources[0], "dest": target})
            if not result.get("changed"):
                # win_zip leaves an existing target alone: that would pass an old archive off as new.
                raise ModuleFailed("community.windows.win_zip", f"{target} exists already; not overwriting it", result)
            return
        result = self._powershell(ZIP_SCRIPT, {"Path": list(sources), "Destination": target})
        if result.get("failed"):
            raise ModuleFailed("ansible.windows.win_powershell", f"zipping {', '.join(sources)} into {target} failed: {_script_error(result)[0]}",
                               result)

    # -- processes and services -----------------------------------------------------------------
    def run(self, command: list[str], probe: bool = False) -> CommandResult:
        # argv is quoted with the C runtime rules: right for .exe programs; a .cmd/.bat file would be parsed by cmd.exe.
        result = self.runner.module("ansible.windows.win_command", {"argv": list(command)}, probe=probe, allow_failure=True)
        if result.get("failed") and "rc" not in result:
            raise ModuleFailed("ansible.windows.win_command", str(result.get("msg")), result)
        return CommandResult(rc=int(result.get("rc", 1)), stdout=str(result.get("stdout") or ""), stderr=str(result.get("stderr") or ""))

    def service_state(self, name: str) -> str | None:
        info = self._service_info(name)
        if info is None:
            return None
        # start/stop/pause pending and paused: the service process still exists, which is what callers guard against.
        return _STATE_NAMES.get(str(info.get("state")), "running")

    def set_service(self, name: str, state: str, timeout: float | None = None) -> None:
        """Start or stop a service within ``timeout`` s (default :attr:`service_timeout_s`); a stop also waits for its process.

        ``win_service`` waits for the wanted state without any limit, and a module call cannot be cancelled
        from here (``_execute_module`` has no timeout), so a hanging stop would hang the play. Instead the
        request is sent with ``sc.exe`` (it returns at once) and the state is polled with ``win_service_info``
        until it is reached or the deadline passes, which ends with a clear error.
        """
        if state not in ("started", "stopped"):
            raise ValueError(f"a service can be driven to 'started' or 'stopped', not {state!r}")
        limit = float(timeout if timeout is not None else self.service_timeout_s)
        deadline = time.monotonic() + limit
        before = self._service_info(name)
        if before is None:
            raise ServiceError(f"the Windows service {name!r} does not exist")
        # sc.exe needs the service name; the setting may hold the display name, which win_service_info also matches.
        name = str(before.get("name") or name)
        if state == "stopped":
            self._stop_service(name, before, deadline, limit)
            return
        if before.get("state") == "stop_pending":
            self._wait_service(name, "stopped", deadline, limit)
        if before.get("state") != "started":
            if before.get("state") != "start_pending":
                self._sc("start", name)
            self._wait_service(name, "started", deadline, limit)

    def wait_for_port(self, port: int, state: str, timeout: int, host: str = "127.0.0.1") -> bool:
        result = self.runner.module("ansible.windows.win_wait_for", {"host": host, "port": port, "state": state, "timeout": int(timeout), "sleep": 1},
                                    probe=True, allow_failure=True)
        return not result.get("failed")

    def wait_for_absent(self, path: str, timeout: int) -> bool:
        result = self.runner.module("ansible.windows.win_wait_for", {"path": path, "state": "absent", "timeout": int(timeout), "sleep": 1},
                                    probe=True, allow_failure=True)
        return not result.get("failed")

    def http(self, method: str, url: str, headers: dict[str, str], body: t.Any = None, timeout: int = 30) -> HttpResponse:
        args: dict[str, t.Any] = {"url": url, "url_method": method, "headers": dict(headers), "url_timeout": int(timeout),
                                  "return_content": True, "status_code": list(range(100, 600))}
        if body is not None:
            # Sent as text: win_uri would turn a dict into JSON with ConvertTo-Json, which reshapes some values.
            args.update(body=json.dumps(body), content_type="application/json")
        # The headers carry the control token: the module must not log its arguments on the host.
        result = self.runner.module("ansible.windows.win_uri", args, probe=method == "GET", allow_failure=True, no_log=bool(headers))
        return http_response(result, "status_code")

    def message_console(self, text: str, display_seconds: int = 60) -> bool:
        """Show ``text`` in every session on the host (msg.exe through win_msg); False when it could not be shown.

        The vendor's updater announces the stop on the server console too. ``msg.exe`` takes 255 characters.
        """
        shown = text if len(text) <= 255 else text[:254] + "…"
        result = self.runner.module("community.windows.win_msg", {"msg": shown, "to": "*", "display_seconds": int(display_seconds), "wait": False},
                                    allow_failure=True)
        return not result.get("failed")

    # -- internals --------------------------------------------------------------------------------
    def _key(self, path: str) -> str:
        return str(pathlib.PureWindowsPath(path)).casefold()

    def _powershell(self, script: str, parameters: dict[str, t.Any], probe: bool = False) -> dict[str, t.Any]:
        return self.runner.module("ansible.windows.win_powershell", {"script": script, "parameters": parameters, "error_action": "stop"},
                                  probe=probe, allow_failure=True)

    def _volume(self, path: str) -> dict[str, t.Any]:
        result = self._powershell(VOLUME_SCRIPT, {"Path": path}, probe=True)
        if result.get("failed") or not isinstance(result.get("result"), dict):
            raise ModuleFailed("ansible.windows.win_powershell", f"reading the volume of {path} failed: {_script_error(result)[0]}", result)
        return result["result"]

    def _retry_in_use(self, attempt: t.Callable[[], dict[str, t.Any]], what: str, module: str, aftermath: str) -> dict[str, t.Any]:
        """Run ``attempt`` until it succeeds, retrying "in use" refusals with a capped backoff until :attr:`in_use_retry_s`."""
        started = time.monotonic()
        delay, tries = self.in_use_backoff_first_s, 0
        while True:
            tries += 1
            outcome = attempt()
            if not outcome.get("failed"):
                return outcome
            waited = time.monotonic() - started
            if not outcome["in_use"]:
                raise ModuleFailed(module, f"{what} failed: {outcome['msg']}", outcome["result"])
            if waited + delay > self.in_use_retry_s:
                raise ModuleFailed(module, f"{what} failed: a file in it is still in use ({outcome['msg']}); tried {tries} times over "
                                           f"{waited:.0f} s. {aftermath} Find the process holding it (Resource Monitor, CPU tab, "
                                           "Associated Handles) and re-run.", outcome["result"])
            time.sleep(delay)
            delay = min(delay * 2, self.in_use_backoff_cap_s)

    def _service_info(self, name: str) -> dict[str, t.Any] | None:
        result = self.runner.module("ansible.windows.win_service_info", {"name": name}, probe=True)
        services = [item for item in result.get("services") or [] if isinstance(item, dict)]
        exact = [item for item in services if str(item.get("name", "")).casefold() == name.casefold()]
        # win_service_info falls back to Get-Service -Name, which also matches the display name (and wildcards).
        chosen = exact or (services if len(services) == 1 else [])
        return chosen[0] if result.get("exists") and chosen else None

    def _sc(self, verb: str, name: str) -> None:
        """Send a start/stop request with sc.exe; it returns at once (exit codes: see _SC_OK / _SC_MEANING)."""
        result = self.runner.module("ansible.windows.win_command", {"argv": ["sc.exe", verb, name]}, allow_failure=True)
        if "rc" not in result:
            raise ServiceError(f"could not run sc.exe to {verb} {name!r}: {result.get('msg')}")
        rc = int(result["rc"])
        if rc not in _SC_OK[verb]:
            detail = _SC_MEANING.get(rc) or " ".join(str(result.get("stdout") or "").split()) or "no output"
            raise ServiceError(f"sc.exe {verb} {name!r} failed with {rc}: {detail}")

    def _stop_service(self, name: str, before: dict[str, t.Any], deadline: float, limit: float) -> None:
        if before.get("state") != "stopped":
            self._sc("stop", name)
            self._wait_service(name, "stopped", deadline, limit)
        pid = int(before.get("process_id") or 0)
        # A shared process (svchost) lives on; pid 0 would make win_wait_for_process wait for *every* process.
        if pid > 0 and "share" not in str(before.get("service_type", "")):
            left = max(1, int(deadline - time.monotonic()))
            result = self.runner.module("community.windows.win_wait_for_process", {"pid": pid, "state": "absent", "timeout": left},
                                        probe=True, allow_failure=True)
            if result.get("failed"):
                raise ServiceError(f"the service {name!r} reports stopped, but its process {pid} was still running {limit:.0f} s "
                                   "after the stop request; its files may still be in use")

    def _wait_service(self, name: str, wanted: str, deadline: float, limit: float) -> None:
        delay = self.service_poll_first_s
        while True:
            info = self._service_info(name)
            state = str((info or {}).get("state", "absent"))
            if state == wanted:
                return
            if wanted == "started" and state == "stopped":
                raise ServiceError(f"the service {name!r} stopped again right after it was started (exit code "
                                   f"{(info or {}).get('win32_exit_code')}, service exit code {(info or {}).get('service_exit_code')}); "
                                   "see the Windows event log (System, source Service Control Manager)")
            left = deadline - time.monotonic()
            if left <= 0:
                verb = "stop" if wanted == "stopped" else "start"
                hint = ("end the hanging process (taskkill /PID <pid> /F) or raise the stop timeout" if wanted == "stopped"
                        else "raise the start timeout if it needs longer")
                raise ServiceError(f"the service {name!r} did not {verb} within {limit:.0f} s (still {state}); "
                                   f"win_service would wait forever, so conaktiv.server stopped waiting: {hint}")
            time.sleep(min(delay, left))
            delay = min(delay * 2, self.service_poll_cap_s)
