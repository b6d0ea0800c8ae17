"""Print the fault matrix from the rows the harness wrote (build/faults/*.json); exit 1 when a row is missing or unsafe.

    python tests/faults/table.py [results folder]
"""

from __future__ import annotations

import json
import pathlib
import sys

COLUMNS = (("group", 11), ("row", 44), ("safe", 4), ("running", 7), ("data", 17), ("outcome", 11), ("failed_phase", 16),
           ("runs", 4), ("secrets", 7), ("seconds", 7))
GROUPS = ("source", "stop", "new version", "kill", "overlap", "input", "other")


def main(argv: list[str]) -> int:
    folder = pathlib.Path(argv[1] if len(argv) > 1 else pathlib.Path(__file__).resolve().parents[2] / "build" / "faults")
    rows = [json.loads(path.read_text(encoding="utf-8")) for path in sorted(folder.glob("*.json"))]
    if not rows:
        print(f"no fault rows in {folder}: run `make faults`")
        return 1
    rows.sort(key=lambda row: (GROUPS.index(row["group"]) if row["group"] in GROUPS else len(GROUPS), row["row"]))
    print("  ".join(name.ljust(width) for name, width in COLUMNS))
    print("  ".join("-" * width for _name, width in COLUMNS))
    for row in rows:
        cells = {**row, "safe": "yes" if row["safe"] else "NO", "failed_phase": row.get("failed_phase") or "-",
                 "running": row.get("running") or "DOWN", "outcome": row.get("outcome") or "-"}
        print("  ".join(str(cells.get(name, ""))[:width].ljust(width) for name, width in COLUMNS))
        if row.get("error"):
            print(f"{'':13}error: {row['error'][:200]}")
        for problem in row.get("problems", []):
            print(f"{'':13}UNSAFE: {problem}")
    unsafe = [row["row"] for row in rows if not row["safe"]]
    print()
    print(f"{len(rows)} rows, {len(rows) - len(unsafe)} safe" + (f", UNSAFE: {', '.join(unsafe)}" if unsafe else ""))
    return 1 if unsafe else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
