"""Personal-feed lookup of ``g40cal serve`` at network scale (issue 17, item 13).

Writes ``--tokens`` personal feeds (default 50,000, the network's participants) into a
temporary private folder, then times ``TokenIndex.lookup`` for tokens that exist and for
guesses that do not: the lookup is a name lookup (``lstat``), so it must not grow with the
number of participants (the former scan cost 4.2 ms a request at 50,000 tokens).

Standalone: ``.venv/bin/python bench/bench_serve.py [--tokens 50000] [--lookups 20000]``.
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import tempfile
import time
from pathlib import Path

from g40cal.web.serve import TokenIndex


def per_lookup_us(index: TokenIndex, tokens: list[str], rounds: int = 5) -> float:
    """Median over ``rounds`` of the mean time of one lookup, in microseconds."""
    results = []
    for _ in range(rounds):
        started = time.perf_counter()
        for token in tokens:
            index.lookup(token)
        results.append((time.perf_counter() - started) / len(tokens) * 1e6)
    return statistics.median(results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=50_000)
    parser.add_argument("--lookups", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        tokens = [secrets.token_urlsafe(32) for _ in range(args.tokens)]
        for token in tokens:
            (root / f"{token}.ics").write_bytes(b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
        index = TokenIndex(root)
        known = [tokens[i % len(tokens)] for i in range(0, args.lookups * 7, 7)]
        guesses = [secrets.token_urlsafe(32) for _ in range(args.lookups)]
        assert all(index.lookup(t) == {"ics"} for t in known[:100])
        assert not any(index.lookup(t) for t in guesses[:100])
        print(f"{args.tokens} personal feeds: lookup of an existing token "
              f"{per_lookup_us(index, known):.1f} µs, of a guess "
              f"{per_lookup_us(index, guesses):.1f} µs (median of 5 × {args.lookups})")


if __name__ == "__main__":
    main()
