"""Property tests: for any sequence of edits, UIDs are stable, SEQUENCE only rises — by
exactly one per significant change per sync — a second sync is a no-op, and the feeds
equal a fresh build of the final definitions plus the cancellations."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from g40cal.config import load_config
from g40cal.definitions.project import load_project
from tests.conftest import REPO
from tests.feedparse import parse_feed
from tests.syncing import later, sync_at

FILE = "programmes/almelo-ambtelijk-2024.toml"
ITEMS = ["r1-europa", "r1-zjo", "r2-sterke-keten", "afsluiting"]

edits = st.lists(
    st.tuples(st.sampled_from(ITEMS),
              st.sampled_from(["room", "time", "title", "description", "remove", "restore",
                               "nothing"]),
              st.integers(0, 3)),
    min_size=1, max_size=5)


def apply(text: str, originals: dict[str, str], item: str, action: str, n: int) -> str:
    blocks = text.split("[[items]]")
    index = next((i for i, b in enumerate(blocks) if f'id = "{item}"\n' in b), None)
    if action == "restore":
        if index is None:
            return text.rstrip("\n") + "\n\n[[items]]" + originals[item]
        return text
    if index is None or action == "nothing":
        return text
    block = blocks[index]
    if action == "remove":
        blocks.pop(index)
        return "[[items]]".join(blocks)
    lines = block.split("\n")
    field = {"room": "room", "time": "start", "title": "title", "description": "notes"}[action]
    lines = [line for line in lines if not line.startswith(f"{field} =")]
    value = {"room": f'"Zaal {n}"', "time": f'"{9 + n:02d}:05"', "title": f'"Titel {n}"',
             "description": f'"Opmerking {n}"'}[action]
    lines.insert(2, f"{field} = {value}")
    if action == "time":
        lines = [line for line in lines if not line.startswith("end =")]
        lines.insert(3, f'end = "{9 + n:02d}:55"')
    blocks[index] = "\n".join(lines)
    return "[[items]]".join(blocks)


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(edits)
def test_any_sequence_of_edits_keeps_uids_and_sequence_rules(steps) -> None:
    with tempfile.TemporaryDirectory() as temp:
        root = Path(temp)
        (root / "programmes").mkdir()  # one programme keeps each example fast
        shutil.copy(REPO / FILE, root / FILE)
        shutil.copy(REPO / "groups.toml", root / "groups.toml")
        path = root / FILE
        original = path.read_text()
        originals = {b.split('id = "')[1].split('"')[0]: b
                     for b in original.split("[[items]]")[1:]}
        sync_at(root)
        seen = dict(parse_feed(root / "feeds" / "all.ics"))
        for minute, (item, action, n) in enumerate(steps, start=1):
            path.write_text(apply(path.read_text(), originals, item, action, n))
            config = load_config(root)
            if load_project(config).errors:  # e.g. a time that ends before it starts
                path.write_text(original)
            result = sync_at(root, later(minute * 10))
            feed = parse_feed(root / "feeds" / "all.ics")
            bumps = {c.key: c for c in result.plan.changes.changes if c.feed is None}
            for uid, event in feed.items():
                if uid in seen:
                    key = "/".join(uid.split("@")[0].split(".")[:2])
                    rise = event.sequence - seen[uid].sequence
                    assert rise in (0, 1)
                    assert rise == (1 if key in bumps and bumps[key].significant else 0)
            for uid in seen:  # nothing vanishes before its retention
                assert uid in feed
            seen.update(feed)
            assert sync_at(root, later(minute * 10 + 5)).written == []
        # The feed equals a fresh build of the final definitions plus the cancellations.
        config = load_config(root)
        events = load_project(config).events
        final = parse_feed(root / "feeds" / "all.ics")
        active = {u for u, e in final.items() if e.status != "CANCELLED"}
        expected = {f"{k.replace('/', '.')}.net@{config.uid_domain}" for k, e in events.items()}
        assert active == expected
        for uid in set(final) - expected:
            assert final[uid].summary.startswith("GEANNULEERD: ")
