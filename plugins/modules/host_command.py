#!/usr/bin/python
# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Why this module exists: ansible.builtin.command costs about 0.2 s of CPU on the host per call, nearly all of it Python
# importing ansible.module_utils.basic out of the AnsiballZ zip (measured with python -X importtime, see bench/README.md);
# an update makes about 16 such calls on a POSIX host. This module is ansible-core's "JSON arguments" module style
# (executor/module_common.py: the marker below selects module substyle "jsonargs"): ansible-core writes the arguments into
# ARGUMENTS and sends this file as it is, pipelined to the host's Python when pipelining is on, without AnsiballZ. It must
# therefore not import anything from Ansible (an import of the module utilities would turn it into an AnsiballZ module).
# Marker, replaced by the arguments as one line of ASCII JSON: <<INCLUDE_ANSIBLE_MODULE_JSON_ARGS>>

from __future__ import annotations

DOCUMENTATION = r"""
module: host_command
short_description: Run one command on a Linux or macOS host, for the collection's own plugins
description:
  - Runs O(argv) on the host without a shell, with O(stdin) as its standard input, and returns its exit code and output,
    as M(ansible.builtin.command) does with O(ansible.builtin.command#module:argv), O(ansible.builtin.command#module:stdin)
    and O(ansible.builtin.command#module:stdin_add_newline=false), in a twentieth of its time on the host.
  - The collection's action plugins run their POSIX shell scripts (the look at the host, the cutover, the backup, the journal)
    through it. It is not meant for playbooks; use M(ansible.builtin.command) there.
  - Differences to M(ansible.builtin.command), all deliberate. The arguments are passed as they are (no C(~) or C($VAR)
    expansion, so a folder named C($data) stays C($data)). Output that is not UTF-8 comes back with each undecodable byte as
    a lone surrogate (Python's C(surrogateescape)), so a file name read by one call can be given to the next unchanged. Nothing
    is written to the host's system log (M(ansible.builtin.command) logs its arguments there unless C(no_log) is set).
    Standard input is empty without O(stdin).
  - As with M(ansible.builtin.command), the call returns once the command has ended and its output stayed quiet for a second,
    so a process it left running in the background (a server started with C(&)) does not keep the call waiting. A working
    directory the user cannot read (after C(become) to another user) is left for the home folder, and a locale that is not
    installed is replaced, as Ansible's own modules do.
  - An argument holding a text ansible-core rewrites in such modules (its module replacer's markers) is refused before the
    call.
  - Needs Python 3.9 or later on the host (the interpreter Ansible discovers or C(ansible_python_interpreter)), nothing else.
version_added: 0.2.0
author:
  - conaktiv.server developers (!UNKNOWN)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
options:
  argv:
    description:
      - The command and its arguments. The first item is looked up in E(PATH) when it has no C(/).
    type: list
    elements: str
    required: true
  stdin:
    description:
      - Text given to the command as its standard input, exactly (no newline is added).
    type: str
attributes:
  action:
    support: full
    details: The action plugin validates the arguments and refuses a text ansible-core rewrites in this module on the way.
  async:
    support: none
  bypass_host_loop:
    support: none
  check_mode:
    support: none
    details: Under C(--check) the command is not run and the task is skipped, as for a module without check mode support.
  diff_mode:
    support: none
  platform:
    platforms: posix
seealso:
  - module: ansible.builtin.command
"""

EXAMPLES = r"""
- name: Show the free space beside the server folder (normally the collection's plugins call this module)
  conaktiv.server.host_command:
    argv: [df, -Pk, --, /opt/ConAktiv]
  register: free_space
"""

RETURN = r"""
rc:
  description: The command's exit code; with a command that could not be started, the error number (2 when it does not exist).
  returned: always
  type: int
  sample: 0
stdout:
  description: The standard output, without its last line break.
  returned: always
  type: str
stderr:
  description: The standard error, without its last line break.
  returned: always
  type: str
msg:
  description: Empty on success; C(non-zero return code), or why the command could not be started.
  returned: always
  type: str
"""

import importlib
import json
import locale
import os
import pwd
import selectors
import subprocess  # nosec: B404 - running the one command given is the purpose of this module
import tempfile

# Filled in by ansible-core with the arguments (a bytes literal of their JSON); the placeholder string otherwise.
ARGUMENTS = "<<INCLUDE_ANSIBLE_MODULE_COMPLEX_ARGS>>"
ARGUMENT_SPEC = {"argv": {"type": "list", "elements": "str", "required": True}, "stdin": {"type": "str"}}
# The locales AnsibleModule falls back to when the one inherited over ssh is not installed (get_best_parsable_locale).
_FALLBACK_LOCALES = ("C.utf8", "C.UTF-8", "en_US.utf8", "en_US.UTF-8", "C", "POSIX")


def _text(data: bytes) -> str:
    """Output as text, undecodable bytes kept as surrogates, without the last line break (as ansible.builtin.command)."""
    return data.decode("utf-8", "surrogateescape").rstrip("\r\n")


def _problem(args: dict) -> str:
    """Why the arguments cannot be used, or '' (what AnsibleModule would check against ARGUMENT_SPEC)."""
    unknown = sorted(key for key in args if key not in ARGUMENT_SPEC and not key.startswith("_ansible_"))
    if unknown:
        return (f"Unsupported parameters for (conaktiv.server.host_command) module: {', '.join(unknown)}. "
                f"Supported parameters include: {', '.join(sorted(ARGUMENT_SPEC))}.")
    argv = args.get("argv")
    if not isinstance(argv, list) or not argv or not all(isinstance(item, str) for item in argv):
        return "argv must be a non-empty list of strings"
    if args.get("stdin") is not None and not isinstance(args["stdin"], str):
        return "stdin must be a string"
    return ""


def _settle_process() -> None:
    """What AnsibleModule does before a command runs: a working directory this user can read (after become to another user
    the inherited one may not be: AnsibleModule._set_cwd), and a locale that exists (AnsibleModule._check_locale)."""
    try:
        readable = os.access(os.getcwd(), os.F_OK | os.R_OK)
    except OSError:  # the folder was removed
        readable = False
    if not readable:
        try:
            home = pwd.getpwuid(os.getuid()).pw_dir
        except KeyError:  # an account without a passwd entry (a container's)
            home = "/"
        for folder in (home, tempfile.gettempdir(), "/"):
            if os.access(folder, os.F_OK | os.R_OK):
                os.chdir(folder)
                break
    try:
        locale.setlocale(locale.LC_ALL, "")
    except locale.Error:
        for name in _FALLBACK_LOCALES:
            try:
                locale.setlocale(locale.LC_ALL, name)
            except locale.Error:
                continue
            os.environ.update(LANG=name, LC_ALL=name, LC_MESSAGES=name)
            break


def _communicate(process: subprocess.Popen, data: "bytes | None") -> "tuple[bytes, bytes]":
    """Give ``data`` to the command and read both outputs, as AnsibleModule.run_command does: until the command has ended and
    its pipes stayed quiet for a second, so that a background process it left holding a pipe (a server started with ``&``)
    does not keep the call waiting."""
    if data is not None:
        try:
            process.stdin.write(data)
            process.stdin.close()
        except BrokenPipeError:  # the command ended without reading it all: its exit code and output say why
            pass
    output = {process.stdout: b"", process.stderr: b""}
    with selectors.DefaultSelector() as selector:
        for pipe in output:
            os.set_blocking(pipe.fileno(), False)
            selector.register(pipe, selectors.EVENT_READ)
        while True:
            events = selector.select(1)
            for key, _mask in events:
                chunk = key.fileobj.read(32768)
                if chunk:
                    output[key.fileobj] += chunk
                elif chunk is not None:  # end of file
                    selector.unregister(key.fileobj)
            if (not events or not selector.get_map()) and process.poll() is not None:
                break
            if not selector.get_map():
                process.wait()
                break
    for pipe in output:
        pipe.close()
    return output[process.stdout], output[process.stderr]


def run(args: dict) -> dict:
    """The module's result for ``args`` (the module arguments, with ansible-core's internal _ansible_* keys)."""
    problem = _problem(args)
    if problem:
        return {"failed": True, "changed": False, "msg": problem}
    if args.get("_ansible_check_mode"):
        # What ansible-core's AnsibleModule answers for a module without check mode support.
        return {"skipped": True, "changed": False, "msg": "remote module (conaktiv.server.host_command) does not support check mode"}
    _settle_process()
    data = args.get("stdin")
    try:
        # Popen restores SIGPIPE for the child (restore_signals), as run_command does. run_command is AnsibleModule's,
        # which this module does without (see the top of the file).
        process = subprocess.Popen(  # nosec: B603 - argv is a list, no shell  # pylint: disable=ansible-bad-function
            [item.encode("utf-8", "surrogateescape") for item in args["argv"]],
            stdin=subprocess.DEVNULL if data is None else subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        stdout, stderr = _communicate(process, None if data is None else data.encode("utf-8", "surrogateescape"))
    except OSError as exc:
        # As run_command: the error number as rc (2: no such file), its text as msg.
        return {"failed": True, "changed": False, "rc": exc.errno or 1, "stdout": "", "stderr": "", "msg": str(exc)}
    except (ValueError, UnicodeError) as exc:  # a NUL byte or a lone surrogate that is no byte in an argument
        return {"failed": True, "changed": False, "rc": 257, "stdout": "", "stderr": "", "msg": f"the command cannot be run: {exc}"}
    result = {"changed": True, "rc": process.returncode, "stdout": _text(stdout), "stderr": _text(stderr),
              "msg": "non-zero return code" if process.returncode else ""}
    if process.returncode:
        result["failed"] = True
    return result


# The same in host_request.py: ansible-core sends a JSON-arguments module as one file, so the two cannot share code.
def main() -> None:
    """Run with the arguments ansible-core wrote into ARGUMENTS and print the result as JSON."""
    if isinstance(ARGUMENTS, bytes):
        # The result is the module's output, read by ansible-core (AnsibleModule.exit_json prints it the same way).
        print(json.dumps(run(json.loads(ARGUMENTS))))  # pylint: disable=ansible-bad-function
        return
    # Not sent by ansible-core's JSON-arguments path (ansible-test, another runner): the same work through AnsibleModule,
    # which reads the arguments the usual way. Imported by name so that ansible-core does not build this file as AnsiballZ.
    basic = importlib.import_module("ansible.module_utils.basic")
    module = basic.AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=False)
    result = run(module.params)
    if result.pop("failed", False):
        module.fail_json(**result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
