"""Command line: python -m conaktiv_sim package | install | site-info | serve | users."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import List, Optional

from .install import DEFAULT_RECORDS, install_site, site_info
from .layout import SERVER_NAME, SERVER_PROGRAM
from .package import FORMATS, build_package
from .users import parse_user, run_users


def _add_package(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    package = commands.add_parser("package", help="build the vendor package of a version")
    package.add_argument("--version", required=True, help="server version, e.g. 2.0.0")
    package.add_argument("--out", required=True, help="archive to write")
    package.add_argument("--format", choices=FORMATS, default="zip")
    package.add_argument("--size-mb", type=float, default=0, help="MiB of incompressible filler (default 0)")
    package.add_argument("--files", type=int, default=0, help="number of filler files (default: 1 when --size-mb is given)")
    package.add_argument("--no-top-folder", action="store_true", help="put the server tree at the archive root")
    package.add_argument("--server-name", default=SERVER_NAME, help=f"top-level folder name (default {SERVER_NAME!r})")


def _add_install(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    install = commands.add_parser("install", help="lay down an installed site; prints its JSON description")
    install.add_argument("--root", required=True, help="folder of the site")
    install.add_argument("--version", required=True, help="installed server version")
    install.add_argument("--server-name", default=SERVER_NAME)
    install.add_argument("--client-port", type=int, help="default: a free port")
    install.add_argument("--control-port", type=int, help="default: a free port")
    install.add_argument("--token", help="control token (default: random)")
    install.add_argument("--records", type=int, default=DEFAULT_RECORDS, help=f"user data records (default {DEFAULT_RECORDS})")
    install.add_argument("--structure-version", help="data structure version (default: --version)")
    install.add_argument("--stop-timeout", type=float, default=30, help="wrapper stop timeout in s (default 30)")
    install.add_argument("--start-timeout", type=float, default=30, help="wrapper start timeout in s (default 30)")
    install.add_argument("--python", help="python that runs the server and the wrapper (default: this one)")


def parse_args(argv: Optional[List[str]]) -> argparse.Namespace:
    """Command line of the simulator."""
    parser = argparse.ArgumentParser(prog="python -m conaktiv_sim", description="ConAktiv server simulator")
    commands = parser.add_subparsers(dest="command", required=True)
    _add_package(commands)
    _add_install(commands)
    info = commands.add_parser("site-info", help="print the JSON description of an installed site")
    info.add_argument("--root", required=True)
    foreground = commands.add_parser("serve", help="run a site's server in the foreground (what the wrapper starts)")
    foreground.add_argument("--root", help="site folder (reads service/service.json)")
    foreground.add_argument("--server-dir", help="server folder (instead of --root)")
    foreground.add_argument("--data", help="data folder (instead of --root)")
    foreground.add_argument("--site", help="service folder for faults.json / messages.log (instead of --root)")
    users = commands.add_parser("users", help="hold logged-in users on a client port")
    users.add_argument("--host", default="127.0.0.1")
    users.add_argument("--port", type=int, required=True, help="client port")
    users.add_argument("--user", action="append", required=True, help="NAME:SECONDS (log off N s after a message) or NAME:never")
    return parser.parse_args(argv)


def serve(args: argparse.Namespace) -> int:
    """Exec the server program of the server folder in the foreground."""
    if args.root:
        info = site_info(args.root)
        server_dir, data_dir, site_dir = info["server_dir"], info["data_dir"], info["service_dir"]
    elif args.server_dir and args.data:
        server_dir, data_dir, site_dir = args.server_dir, args.data, args.site
    else:
        print("serve needs --root, or --server-dir and --data", file=sys.stderr)
        return 2
    command = [sys.executable, str(Path(server_dir) / SERVER_PROGRAM), "--data", str(data_dir)]
    if site_dir:
        command += ["--site", str(site_dir)]
    sys.stdout.flush()
    os.execv(sys.executable, command)
    return 0  # not reached


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point of python -m conaktiv_sim; errors are one line on stderr and exit 1."""
    args = parse_args(argv)
    try:
        return run(args)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def run(args: argparse.Namespace) -> int:
    """Carry out one command."""
    if args.command == "package":
        path = build_package(args.out, args.version, args.format, args.size_mb, args.files, not args.no_top_folder, args.server_name)
        print(json.dumps({"path": str(path.absolute()), "size": path.stat().st_size, "version": args.version}))
        return 0
    if args.command == "install":
        info = install_site(args.root, args.version, server_name=args.server_name, client_port=args.client_port,
                            control_port=args.control_port, token=args.token, records=args.records,
                            structure_version=args.structure_version, stop_timeout=args.stop_timeout,
                            start_timeout=args.start_timeout, python=args.python)
        print(json.dumps(info, indent=2))
        return 0
    if args.command == "site-info":
        print(json.dumps(site_info(args.root), indent=2))
        return 0
    if args.command == "serve":
        return serve(args)
    return run_users(args.host, args.port, dict(parse_user(spec) for spec in args.user))
