# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The host interface on Windows targets (WinRM, PowerShell), through ``ansible.windows`` / ``community.windows``.

Every operation is a maintained module. Where none exists, a constant ``win_powershell`` snippet below
gets its values through ``parameters`` (never by building script text), and each snippet says why it exists.
Windows realities handled here: paths are ``PureWindowsPath`` (drive letters, UNC, backslashes, spaces),
names compare case-insensitively, a rename refused because a file is in use is retried with a capped
backoff, and service start/stop is bounded by a deadline although ``win_service`` itself has none.
See ``docs/docsite/rst/windows.rst``.
"""

from __future__ import annotations

import base64
import json
import os
import pathlib
import re
import time
import typing as t
import unicodedata

from ._cutover import STEPS, CutoverPlan, CutoverReport, item_json
from ._host import CommandResult, Host, HttpResponse, PathStat, Tail, http_response
from ._runner import ModuleFailed
from ._service import ServiceError
from ._time_zone import HostZone, windows_zone

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
# DriveInfo knows drive letters only: a UNC path fails clearly; a volume mounted in a folder counts as its drive. %VARIABLES%
# are expanded on the host (the remote temp folder is %TEMP% by default).
VOLUME_SCRIPT = """\
param([string]$Path)
$drive = New-Object -TypeName System.IO.DriveInfo -ArgumentList ([System.IO.Path]::GetPathRoot([System.Environment]::ExpandEnvironmentVariables($Path)))
$Ansible.Result = @{ free_bytes = $drive.AvailableFreeSpace; volume_id = $drive.Name }
$Ansible.Changed = $false
"""

# A zip of folders, each under its own name, streamed: ZipFile.Open(Create) makes a new file (CreateNew) and writes each entry as
# it goes (Zip64 where needed). Compress-Archive (and win_zip for a single file) use Update mode, which holds every entry in
# memory (a file of 2 GiB or more fails: "Stream was too long"); Compress-Archive also skips hidden and system files (a restore
# would lose them) and resolves the destination with -Path, where [ ] are wildcards. Names use '/', empty folders are kept,
# nothing is left behind on failure.
ZIP_SCRIPT = """\
param([string[]]$Path, [string]$Destination)
Add-Type -AssemblyName System.IO.Compression.FileSystem
$zip = [System.IO.Compression.ZipFile]::Open($Destination, 'Create')
try {
    foreach ($source in $Path) {
        $skip = [System.IO.Path]::GetDirectoryName($source.TrimEnd('\\')).TrimEnd('\\').Length + 1
        foreach ($dir in [System.IO.Directory]::GetDirectories($source, '*', 'AllDirectories')) {
            if (-not [System.IO.Directory]::EnumerateFileSystemEntries($dir).GetEnumerator().MoveNext()) {
                $null = $zip.CreateEntry($dir.Substring($skip).Replace('\\', '/') + '/')
            }
        }
        foreach ($file in [System.IO.Directory]::EnumerateFiles($source, '*', 'AllDirectories')) {
            $null = [System.IO.Compression.ZipFileExtensions]::CreateEntryFromFile($zip, $file, $file.Substring($skip).Replace('\\', '/'))
        }
    }
    $zip.Dispose()
} catch { $zip.Dispose(); [System.IO.File]::Delete($Destination); throw }
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

# The bytes of a file from an offset on, while another process writes it (the server's structure-update log). slurp reads
# with File.ReadAllBytes, which shares only Read: a log the server holds open for writing refuses it (a sharing violation),
# and every poll would ship the whole log. This opens it sharing ReadWrite and Delete and returns only what is new.
TAIL_SCRIPT = """\
param([string]$Path, [string]$Offset, [string]$MaxBytes)
$Ansible.Changed = $false
if (-not [System.IO.File]::Exists($Path)) { $Ansible.Result = @{ exists = $false }; return }
$stream = [System.IO.File]::Open($Path, 'Open', 'Read', 'ReadWrite, Delete')
try {
    $size = $stream.Length
    $start = [long]$Offset
    if ($start -gt $size) { $start = 0 }
    $start = [Math]::Max($start, $size - [long]$MaxBytes)
    $null = $stream.Seek($start, 'Begin')
    $data = (New-Object -TypeName System.IO.BinaryReader -ArgumentList $stream).ReadBytes([int]($size - $start))
    $Ansible.Result = @{ exists = $true; size = $size; start = $start; content = [System.Convert]::ToBase64String($data) }
} finally { $stream.Dispose() }
"""

# Clients connected to a port, on any local address. win_wait_for state=drained counts only connections whose local address
# equals its host option (127.0.0.1 misses every client on the LAN address; 0.0.0.0 takes all) and counts TIME_WAIT ones
# too, which are no users (ansible.windows win_wait_for.ps1, Get-PortConnection).
CONNECTIONS_SCRIPT = """\
param([string]$Port)
$Ansible.Changed = $false
$active = @([System.Net.NetworkInformation.IPGlobalProperties]::GetIPGlobalProperties().GetActiveTcpConnections() |
    Where-Object { $_.LocalEndPoint.Port -eq [int]$Port -and @('Established', 'SynReceived') -contains [string]$_.State })
$Ansible.Result = @{ connections = $active.Count }
"""

# The text Windows has for an error code, in its display language. sc.exe prints it in the console's OEM code page, which
# win_command decodes as UTF-8 (umlauts arrive garbled); Win32Exception gives the same text as a .NET string.
ERROR_TEXT_SCRIPT = """\
param([string]$Code)
$Ansible.Changed = $false
$Ansible.Result = @{ text = (New-Object -TypeName System.ComponentModel.Win32Exception -ArgumentList ([int]$Code)).Message }
"""

# Which of the accounts every user of the host belongs to -- Everyone (S-1-1-0), Authenticated Users (S-1-5-11), BUILTIN\Users
# (S-1-5-32-545) -- may read the files a folder's new files inherit access from: allowed rules, explicit or inherited, that
# reach files (ObjectInherit) and grant ReadData (bit 0), GENERIC_READ (bit 31: a negative Int32) or GENERIC_ALL. No module
# reads an ACL (win_acl only changes one). A folder not made yet will inherit from the nearest existing one: that is read. Names
# come in the host's language ("VORDEFINIERT\Benutzer").
READERS_SCRIPT = """\
param([string]$Path)
$Ansible.Changed = $false
$folder = $Path
while ($folder -and -not [System.IO.Directory]::Exists($folder)) { $folder = [System.IO.Path]::GetDirectoryName($folder) }
if (-not $folder) { $Ansible.Result = @{ folder = $null; readers = @() }; return }
$broad = @('S-1-1-0', 'S-1-5-11', 'S-1-5-32-545')
$readers = @()
$rules = (Get-Acl -LiteralPath $folder).GetAccessRules($true, $true, [System.Security.Principal.SecurityIdentifier])
foreach ($rule in $rules) {
    $mask = [int]$rule.FileSystemRights
    $reads = (($mask -band 1) -ne 0) -or ($mask -lt 0) -or (($mask -band 0x10000000) -ne 0)
    $toFiles = ([int]$rule.InheritanceFlags -band 2) -ne 0
    if ([string]$rule.AccessControlType -eq 'Allow' -and $reads -and $toFiles -and ($broad -contains $rule.IdentityReference.Value)) {
        $readers += $rule.IdentityReference.Translate([System.Security.Principal.NTAccount]).Value
    }
}
$Ansible.Result = @{ folder = $folder; readers = @($readers | Select-Object -Unique) }
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

SCRIPTS = (MOVE_SCRIPT, VOLUME_SCRIPT, ZIP_SCRIPT, CLAIM_SCRIPT, TAIL_SCRIPT, CONNECTIONS_SCRIPT, ERROR_TEXT_SCRIPT, READERS_SCRIPT,
           CUTOVER_SCRIPT)

# -- error classification ------------------------------------------------------------------------------

# HRESULTs of "in use": ERROR_ACCESS_DENIED (what renaming a folder with an open file gives), ERROR_SHARING_VIOLATION,
# ERROR_LOCK_VIOLATION and ERROR_DIR_NOT_EMPTY (files deleted while a virus scanner or the indexer holds them open with delete
# sharing stay "delete pending" in their folder until it lets go). A real permission problem also reads "access denied"; it
# is retried too and then fails with the same clear message, which names the cause -- except on a network path (see below).
_HR_ACCESS_DENIED = -2147024891
_IN_USE_HRESULTS = frozenset({_HR_ACCESS_DENIED, -2147024864, -2147024863, -2147024751})
# The same as messages (win_file reports only the text), in English and in German: Windows words them in its display language.
_DENIED_WORDS = ("access to the path", "is denied", "access denied", "zugriff auf den pfad", "verweigert")
_IN_USE_WORDS = _DENIED_WORDS + ("being used by another process", "locked a portion of the file", "directory is not empty",
                                 "von einem anderen prozess verwendet", "einen teil der datei gesperrt", "verzeichnis ist nicht leer")

# sc.exe exit codes that are not a failure for the wanted state, and the meaning of the others. 1061 (the service cannot
# accept control messages now: start or stop pending) is handled by the stop itself.
_SC_OK = {"stop": {0, 1053, 1061, 1062}, "start": {0, 1053, 1056}}
_SC_MEANING = {
    5: "access denied (the WinRM user needs to be an administrator)",
    1051: "other running services depend on it: stop them first",
    1052: "the service does not accept a stop request",
    1058: "the service is disabled",
    1060: "no such service",
    1069: "the service account could not log on",
    1072: "the service is marked for deletion (close the Services console and every program that has it open)",
}
_SC_CANNOT_ACCEPT = 1061

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


class ScriptFailure(t.NamedTuple):
    """Why a win_powershell run failed: the innermost message, and whether it means "in use" or "access denied"."""

    message: str
    in_use: bool
    denied: bool


def _script_error(result: dict[str, t.Any]) -> ScriptFailure:
    """The innermost error of a failed win_powershell run, classified by HRESULT or, failing that, by its words."""
    errors = [error for error in result.get("error") or [] if isinstance(error, dict)]
    if not errors:
        return ScriptFailure(str(result.get("msg") or "the script failed without an error record"), False, False)
    chain = _exception_chain(errors[0])
    message = str((chain[-1] if chain else {}).get("message") or errors[0].get("output") or "unknown error").strip()
    hresults = {item.get("hresult") for item in chain}
    return ScriptFailure(message, bool(hresults & _IN_USE_HRESULTS) or _mentions(message, _IN_USE_WORDS),
                         _HR_ACCESS_DENIED in hresults or _mentions(message, _DENIED_WORDS))


def _mentions(message: str, words: tuple[str, ...]) -> bool:
    lowered = message.lower()
    return any(word in lowered for word in words)


def _is_network_path(path: str) -> bool:
    return pathlib.PureWindowsPath(path).drive.startswith("\\\\")


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


# Where Windows keeps its time zone (Set-TimeZone and tzutil /s write it).
TIME_ZONE_KEY = "HKLM:\\SYSTEM\\CurrentControlSet\\Control\\TimeZoneInformation"


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
        # get_size walks a folder's whole tree (win_stat.ps1): only the size of a file with a checksum is ever wanted.
        args: dict[str, t.Any] = {"path": path, "follow": False, "get_checksum": checksum_algorithm is not None,
                                  "get_size": checksum_algorithm is not None}
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
                message = str(result.get("msg"))
                return {"failed": True, "msg": message, "in_use": _mentions(message, _IN_USE_WORDS), "denied": _mentions(message, _DENIED_WORDS),
                        "result": result}
            return result

        result = self._retry_in_use(attempt, f"removing {path}", "ansible.windows.win_file",
                                    f"Part of {path} may already be gone; what is left is still there.", [path])
        return bool(result.get("changed"))

    def rename(self, source: str, target: str) -> None:
        def attempt() -> dict[str, t.Any]:
            result = self._powershell(MOVE_SCRIPT, {"Path": source, "Destination": target})
            if result.get("failed"):
                failure = _script_error(result)
                return {"failed": True, "msg": failure.message, "in_use": failure.in_use, "denied": failure.denied, "result": result}
            return result

        self._retry_in_use(attempt, f"renaming {source} to {target}", "ansible.windows.win_powershell",
                           f"Nothing was moved: {source} is unchanged, so the server can still be started from it.", [source, target])

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
        message = _script_error(result).message
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
            report.error = _script_error(result).message
        return report

    def same_volume(self, first: str, second: str) -> bool:
        # What volume_id reports is the drive root (DriveInfo), so the drives decide, without a round trip. A volume
        # mounted into a folder is not told apart; a rename across it fails at once (ERROR_NOT_SAME_DEVICE), moving nothing.
        return pathlib.PureWindowsPath(first).drive.casefold() == pathlib.PureWindowsPath(second).drive.casefold()

    def free_bytes(self, path: str) -> int:
        return int(self._volume(path)["free_bytes"])

    def readers_of_new_files(self, path: str) -> list[str] | None:
        # READERS_SCRIPT: the folder's ACL, which every backup made in it inherits.
        result = self._powershell(READERS_SCRIPT, {"Path": path}, probe=True)
        if result.get("failed") or not isinstance(result.get("result"), dict):
            return None
        return [str(name) for name in result["result"].get("readers") or []]

    def volume_id(self, path: str) -> str:
        return str(self._volume(path)["volume_id"]).lower()

    def put_file(self, local_path: str, remote_path: str) -> None:
        # win_copy lands the file in the remote temp folder first (%TEMP% on C: by default) and copies it from there: a package
        # that fits beside the server may still not fit there.
        landing = self.runner.remote_tmp()
        size = os.path.getsize(local_path)
        if pathlib.PureWindowsPath(landing).drive.casefold() != pathlib.PureWindowsPath(remote_path).drive.casefold():
            room = self._volume(landing)
            if int(room["free_bytes"]) < size:
                raise ModuleFailed("ansible.windows.win_copy", f"not enough free disk space where the transfer lands first: {landing} "
                                                               f"({room['volume_id']}) has {room['free_bytes']} bytes free, the package needs "
                                                               f"{size}; free space there or set ansible_remote_tmp to a folder on "
                                                               f"{pathlib.PureWindowsPath(remote_path).drive}", room)
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
        # ZIP_SCRIPT for one source too: win_zip zips a single file in Update mode (held in memory, < 2 GiB).
        result = self._powershell(ZIP_SCRIPT, {"Path": list(sources), "Destination": target})
        if result.get("failed"):
            raise ModuleFailed("ansible.windows.win_powershell", f"zipping {', '.join(sources)} into {target} failed: {_script_error(result).message}",
                               result)

    # -- processes and services -----------------------------------------------------------------
    def run(self, command: list[str], probe: bool = False) -> CommandResult:
        # argv is quoted with the C runtime rules: right for .exe programs; a .cmd/.bat file would be parsed by cmd.exe.
        result = self.runner.module("ansible.windows.win_command", {"argv": list(command)}, probe=probe, allow_failure=True)
        if result.get("failed") and "rc" not in result:
            raise ModuleFailed("ansible.windows.win_command", str(result.get("msg")), result)
        return CommandResult(rc=int(result.get("rc", 1)), stdout=str(result.get("stdout") or ""), stderr=str(result.get("stderr") or ""))

    def tree_digests(self, folder: str) -> dict[str, tuple[int, str]]:
        result = self.runner.module("ansible.windows.win_find", {"paths": [folder], "recurse": True, "hidden": True, "file_type": "file",
                                                                 "follow": False, "get_checksum": True, "checksum_algorithm": "sha256"}, probe=True)
        prefix = folder.rstrip("\\") + "\\"
        return {str(item["path"])[len(prefix):].replace("\\", "/"): (int(item["size"]), str(item["checksum"])) for item in result.get("files") or []
                if str(item.get("path", "")).casefold().startswith(prefix.casefold())}

    def kill_server(self, settings: dict[str, t.Any], pid_file: str | None, timeout: float) -> str:
        del pid_file  # the service control manager knows the process
        name = settings["name"]
        info = self._service_info(name)
        pid = int((info or {}).get("process_id") or 0)
        if info is None or not pid:
            return "nothing to end (the service process was already gone)"
        result = self.run(["taskkill.exe", "/PID", str(pid), "/F"])
        # 128: "The process ... not found": it ended meanwhile.
        if result.rc not in (0, 128):
            raise ServiceError(f"taskkill /PID {pid} /F failed ({result.rc}): {(result.stdout + result.stderr).strip()}")
        # The service control manager sees its process die and reports the service stopped.
        deadline = time.monotonic() + timeout
        while (self.service_state(name) or "stopped") != "stopped":
            if time.monotonic() >= deadline:
                raise ServiceError(f"the service {name!r} is not stopped {timeout:g} s after taskkill /PID {pid} /F")
            time.sleep(1)
        return f"taskkill /PID {pid} /F"

    def time_zone(self) -> HostZone:
        # The zone Windows uses is in the registry (what tzutil /g prints, without a command that reports "changed"):
        # TimeZoneKeyName ("W. Europe Standard Time") and DynamicDaylightTimeDisabled (1: no automatic summer time).
        result = self.runner.module("ansible.windows.win_reg_stat", {"path": TIME_ZONE_KEY}, probe=True, allow_failure=True)
        if result.get("failed") or not result.get("exists"):
            raise ModuleFailed("ansible.windows.win_reg_stat", f"reading the time zone ({TIME_ZONE_KEY}) failed: {result.get('msg') or 'no such key'}",
                               result)
        properties = result.get("properties") or {}
        return windows_zone(str((properties.get("TimeZoneKeyName") or {}).get("value") or ""),
                            summer_time_disabled=(properties.get("DynamicDaylightTimeDisabled") or {}).get("value") == 1)

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

    def clients_connected(self, port: int) -> bool:
        result = self._powershell(CONNECTIONS_SCRIPT, {"Port": str(int(port))}, probe=True)
        if result.get("failed") or not isinstance(result.get("result"), dict):
            raise ModuleFailed("ansible.windows.win_powershell", f"reading the connections to port {port} failed: {_script_error(result).message}", result)
        return int(result["result"].get("connections") or 0) > 0

    def read_tail(self, path: str, offset: int, max_bytes: int) -> Tail:
        result = self._powershell(TAIL_SCRIPT, {"Path": path, "Offset": str(int(offset)), "MaxBytes": str(int(max_bytes))}, probe=True)
        if result.get("failed") or not isinstance(result.get("result"), dict):
            raise ModuleFailed("ansible.windows.win_powershell", f"reading {path} failed: {_script_error(result).message}", result)
        found = result["result"]
        if not found.get("exists"):
            return Tail(exists=False)
        return Tail(exists=True, size=int(found["size"]), start=int(found["start"]), data=base64.b64decode(found.get("content") or ""))

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
            raise ModuleFailed("ansible.windows.win_powershell", f"reading the volume of {path} failed: {_script_error(result).message}", result)
        return result["result"]

    def _retry_in_use(self, attempt: t.Callable[[], dict[str, t.Any]], what: str, module: str, aftermath: str,
                      paths: list[str]) -> dict[str, t.Any]:
        """Run ``attempt`` until it succeeds, retrying "in use" refusals with a capped backoff.

        Only the pauses count against :attr:`in_use_retry_s`, not the attempts: deleting a big folder may take longer than the
        whole budget, and it still gets its retries. "Access denied" on a network path is not retried: over WinRM that is the
        double hop, which no wait cures.
        """
        delay, tries, paused = self.in_use_backoff_first_s, 0, 0.0
        while True:
            tries += 1
            outcome = attempt()
            if not outcome.get("failed"):
                return outcome
            if not outcome["in_use"]:
                raise ModuleFailed(module, f"{what} failed: {outcome['msg']}", outcome["result"])
            network = next((path for path in paths if _is_network_path(path)), None)
            if network and outcome.get("denied"):
                raise ModuleFailed(module, f"{what} failed: access to the network path {network} is denied ({outcome['msg']}). Over WinRM "
                                           "with NTLM, or Kerberos without delegation, the session cannot pass the credentials on to the file "
                                           "server (the double hop), so a share that works at the console is denied here. Use CredSSP or "
                                           "Kerberos delegation, or become (runas) an account with access to the share; see docs/docsite/rst/windows.rst.",
                                   outcome["result"])
            if paused + delay > self.in_use_retry_s:
                raise ModuleFailed(module, f"{what} failed: a file in it is still in use ({outcome['msg']}); tried {tries} times, "
                                           f"{paused:.0f} s apart in all. {aftermath} Find the process holding it (Resource Monitor, CPU "
                                           "tab, Associated Handles) and re-run.", outcome["result"])
            time.sleep(delay)
            paused += delay
            delay = min(delay * 2, self.in_use_backoff_cap_s)

    def _service_info(self, name: str) -> dict[str, t.Any] | None:
        result = self.runner.module("ansible.windows.win_service_info", {"name": name}, probe=True)
        services = [item for item in result.get("services") or [] if isinstance(item, dict)]
        exact = [item for item in services if str(item.get("name", "")).casefold() == name.casefold()]
        # win_service_info falls back to Get-Service -Name, which also matches the display name (and wildcards).
        chosen = exact or (services if len(services) == 1 else [])
        return chosen[0] if result.get("exists") and chosen else None

    def _sc(self, verb: str, name: str) -> int:
        """Send a start/stop request with sc.exe; it returns at once. The exit code (see _SC_OK); any other is an error."""
        result = self.runner.module("ansible.windows.win_command", {"argv": ["sc.exe", verb, name]}, allow_failure=True)
        if "rc" not in result:
            raise ServiceError(f"could not run sc.exe to {verb} {name!r}: {result.get('msg')}")
        rc = int(result["rc"])
        if rc not in _SC_OK[verb]:
            raise ServiceError(f"sc.exe {verb} {name!r} failed with {rc}: {_SC_MEANING.get(rc) or self._error_text(rc)}")
        return rc

    def _error_text(self, code: int) -> str:
        """Windows' own text for an error code (sc.exe's output is in the OEM code page and arrives garbled)."""
        result = self._powershell(ERROR_TEXT_SCRIPT, {"Code": str(int(code))}, probe=True)
        text = (result.get("result") or {}).get("text") if isinstance(result.get("result"), dict) else None
        return " ".join(str(text).split()) if text else "no description"

    def _stop_service(self, name: str, before: dict[str, t.Any], deadline: float, limit: float) -> None:
        if before.get("state") != "stopped":
            self._request_stop(name, deadline, limit)
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

    def _request_stop(self, name: str, deadline: float, limit: float) -> None:
        """sc.exe stop, sent again while the service refuses it (1061) because it is still starting.

        A service in START_PENDING accepts no stop: waiting for a stop that was never taken would last the whole timeout
        (a rollback right after a start that hangs). Once it runs, the stop is sent again; a start that never ends fails
        with the process to end.
        """
        delay = self.service_poll_first_s
        while self._sc("stop", name) == _SC_CANNOT_ACCEPT:
            info = self._service_info(name) or {}
            state = str(info.get("state", "absent"))
            if state in ("stopped", "stop_pending", "absent"):
                return
            left = deadline - time.monotonic()
            if left <= 0:
                raise ServiceError(f"the service {name!r} refuses the stop request (sc.exe 1061: it cannot accept control messages now) "
                                   f"and is still {state} after {limit:.0f} s: a start that hangs. End its process "
                                   f"(taskkill /PID {info.get('process_id') or '<pid>'} /F) and re-run.")
            time.sleep(min(delay, left))
            delay = min(delay * 2, self.service_poll_cap_s)

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
