"""Import quality: each of the bureau's five programme texts against its hand-made definition.

    .venv/bin/python bench/import_quality.py [--sources DIR] [--verbose]

Sources: DIR, else programmes/sources (the texts the definitions name). For each text: items
of the hand-made definition found in the draft, and per field how many of them the draft has
equal (title, date, start, end, room, round, organisers); "invented" counts drafted times
stated as fact that do not occur in the text (must be 0); "unused" the document lines the
report lists as not used.
A text without a date is imported with --date taken from the definition ("(--date)").
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from g40cal.definitions.groups import load_registry
from g40cal.importer.quality import SOURCES, score, sources_folder, table

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=Path, help="folder with the five programme texts")
    parser.add_argument("--verbose", action="store_true", help="list the differences")
    args = parser.parse_args()
    folder = sources_folder(args.sources, ROOT)
    registry = load_registry(ROOT / "groups.toml")
    scores = []
    for source_name, definition in SOURCES.items():
        source = folder / source_name
        if not source.exists():
            print(f"missing: {source}", file=sys.stderr)
            continue
        result, _draft = score(source, ROOT / "programmes" / definition, registry)
        scores.append(result)
        if args.verbose:
            for line in result.invented_times:
                print(f"  {source_name}: invented {line}")
            for line in result.differences:
                print(f"  {source_name}: {line}")
    print(f"sources: {folder}")
    print(table(scores))
    return 0


if __name__ == "__main__":
    sys.exit(main())
