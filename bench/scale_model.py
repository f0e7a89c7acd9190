"""The synthetic scale model: a national network on one machine, made from a fixed seed.

``build_model(root, scale)`` writes a complete g40cal project into ``root``:

- ``groups.toml``: the shipped registry plus synthetic themegroups, ``scale.groups`` in all;
- ``programmes/``: the five shipped programmes plus ``scale.programmes`` synthetic network
  days of ``scale.items`` items each (common programme, parallel rounds of choices);
- ``g40cal.toml`` and a state database holding ``scale.participants`` participants with a
  registration and one choice per round (every tenth also registered for a second day).

Everything comes from ``random.Random(SEED)``: the same scale gives the same files and
the same database rows (feed tokens included) on every machine.
"""

from __future__ import annotations

import base64
import json
import random
import shutil
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from g40cal.config import load_config
from g40cal.definitions.groups import load_registry
from g40cal.people.participants import Choice, Registration, fold_text, put_registration
from g40cal.state import State

REPO = Path(__file__).resolve().parent.parent
SEED = 40
FIRST_DAY = date(2027, 1, 7)  # a Thursday; synthetic network days follow weekly

# The rounds of a synthetic day: (start, end, kinds of its parallel sessions).
ROUNDS = (
    ("10:00", "10:45", ("pijlersessie",)),
    ("11:00", "11:45", ("keuzesessie",)),
    ("11:45", "12:30", ("keuzesessie",)),
    ("13:15", "14:00", ("wandeling", "excursie", "werkbezoek", "lunchlezing")),
    ("14:00", "14:45", ("keuzesessie",)),
    ("15:00", "15:45", ("keuzesessie",)),
    ("15:45", "16:30", ("keuzesessie",)),
)
# The common programme everyone attends: (id, kind, title, start, end).
COMMON = (
    ("inloop", "inloop", "Inloop met koffie", "08:30", "09:00"),
    ("opening", "opening", "Opening door de burgemeester", "09:00", "09:15"),
    ("plenair-ochtend", "plenair", "Plenaire sessie: de staat van de stad", "09:15", "10:00"),
    ("pauze-ochtend", "pauze", "Pauze", "10:45", "11:00"),
    ("lunch", "lunch", "Lunch", "12:30", "13:15"),
    ("pauze-middag", "pauze", "Pauze", "14:45", "15:00"),
    ("plenair-middag", "plenair", "Plenaire sessie: terugblik en vooruitblik", "16:30", "17:00"),
    ("afsluiting", "afsluiting", "Afsluiting", "17:00", "17:15"),
    ("borrel", "borrel", "Netwerkborrel", "17:15", "18:00"),
    ("diner", "diner", "Diner", "18:00", "20:00"),
)
CITIES = (
    "Alkmaar", "Almelo", "Almere", "Alphen aan den Rijn", "Amersfoort", "Apeldoorn", "Arnhem",
    "Assen", "Bergen op Zoom", "Breda", "Delft", "Deventer", "Dordrecht", "Ede", "Emmen",
    "Enschede", "Gouda", "Haarlemmermeer", "Helmond", "Hengelo", "Hilversum", "Hoorn",
    "Leeuwarden", "Leiden", "Lelystad", "Maastricht", "Nijmegen", "Oss", "Purmerend",
    "Roosendaal", "Schiedam", "Sittard-Geleen", "Smallingerland", "Venlo", "Vlaardingen",
    "Zaanstad", "Zoetermeer", "Zwolle", "Heerlen", "Den Helder",
)
THEMES = (
    "Energietransitie", "Mobiliteit", "Cultuur", "Sport en Bewegen", "Digitalisering",
    "Arbeidsmarktregio", "Klimaatadaptatie", "Circulaire Economie", "Winkelgebieden",
    "Schuldhulpverlening", "Laaggeletterdheid", "Gezondheidsachterstanden", "Erfgoed",
    "Wijkaanpak", "Dienstverlening", "Data en Informatie", "Inkoop", "Jongerenwerk",
    "Ondermijning", "Stadslandbouw", "Bibliotheken", "Openbare Ruimte", "Warmtenetten",
    "Inburgering", "Ouderenbeleid", "Huisvesting Studenten", "Stadslogistiek",
    "Toerisme en Recreatie", "Personeel en Organisatie", "Communicatie",
)
WORDS = (
    "gemeente", "stad", "wijk", "bewoners", "samenwerking", "opgave", "beleid", "uitvoering",
    "regio", "Rijk", "middelen", "kennis", "ervaring", "praktijk", "aanpak", "resultaten",
    "ontwikkeling", "programma", "partners", "onderzoek", "netwerk", "toekomst", "kansen",
    "knelpunten", "voorbeelden", "lessen", "dialoog", "werkvorm", "presentatie", "casus",
    "gesprek", "verdieping", "bijeenkomst", "deelnemers", "ambtenaren", "bestuurders",
    "sessie", "thema", "investeringen", "woningbouw", "leefbaarheid", "veiligheid", "zorg",
    "onderwijs", "werkgelegenheid",
)
FIRST_NAMES = ("Anna", "Bram", "Carla", "Daan", "Eva", "Fleur", "Gijs", "Hanna", "Ilse",
               "Joost", "Karin", "Lars", "Marit", "Niels", "Olga", "Pieter", "Rianne", "Sem",
               "Tessa", "Umut", "Vera", "Willem", "Yara", "Zoë", "Fatima", "Mohamed")
LAST_NAMES = ("de Vries", "Jansen", "van den Berg", "Bakker", "Visser", "Smit", "Meijer",
              "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks",
              "van Leeuwen", "Dekker", "Brouwer", "de Wit", "Dijkstra", "Smits", "Yılmaz",
              "El Amrani", "Öztürk", "van Dijk")


@dataclass(frozen=True)
class Scale:
    programmes: int
    items: int
    groups: int
    participants: int

    def describe(self) -> str:
        return (f"{self.programmes} programmes × {self.items} items, {self.groups} groups, "
                f"{self.participants:,} participants (+ the 5 shipped programmes)")


FULL = Scale(programmes=100, items=80, groups=50, participants=50_000)
QUICK = Scale(programmes=5, items=80, groups=50, participants=500)


@dataclass
class ModelInfo:
    """What the benchmark needs to know about the generated model (kept as JSON)."""

    scale: dict[str, int]
    synthetic: list[str] = field(default_factory=list)  # synthetic programme ids
    rounds: int = 0
    participants: int = 0
    registrations: int = 0
    choices: int = 0
    seconds: dict[str, float] = field(default_factory=dict)  # how long each part took

    def save(self, root: Path) -> None:
        (root / "model.json").write_text(json.dumps(self.__dict__, indent=2), "utf-8")

    @classmethod
    def load(cls, root: Path) -> ModelInfo:
        return cls(**json.loads((root / "model.json").read_text("utf-8")))


def toml_text(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string


# -- groups --------------------------------------------------------------------------


def write_groups(root: Path, total: int) -> list[str]:
    """The shipped registry plus synthetic themegroups; returns every group's name."""
    shipped = (REPO / "groups.toml").read_text("utf-8")
    registry = load_registry(REPO / "groups.toml")
    extra = max(0, total - len(registry.groups))
    if extra > len(THEMES):
        raise ValueError(f"at most {len(registry.groups) + len(THEMES)} groups")
    lines = [shipped.rstrip("\n"), "", "# ---- synthetic themegroups of the benchmark scale model"]
    names = [g.name for g in registry.groups]
    for theme in THEMES[:extra]:
        slug = fold_text(theme).replace(" ", "-")
        name = f"Themagroep {theme}"
        lines += ["", "[[groups]]", f'id = "bench-{slug}"', f"name = {toml_text(name)}",
                  f"short = {toml_text(theme)}", 'kind = "themagroep"']
        names.append(name)
    (root / "groups.toml").write_text("\n".join(lines) + "\n", "utf-8")
    return names


# -- programmes ----------------------------------------------------------------------


def sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def paragraph(rng: random.Random, low: int, high: int) -> str:
    return " ".join(sentence(rng, rng.randint(8, 16)) for _ in range(rng.randint(low, high)))


def person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def item_lines(fields: dict[str, object]) -> list[str]:
    lines = ["", "[[items]]"]
    for key, value in fields.items():
        if value is None:
            continue
        if isinstance(value, list):
            lines.append(f"{key} = [" + ", ".join(toml_text(v) for v in value) + "]")
        elif isinstance(value, bool | int):
            lines.append(f"{key} = {str(value).lower() if isinstance(value, bool) else value}")
        else:
            lines.append(f"{key} = {toml_text(str(value))}")
    return lines


def session_counts(items: int) -> list[int]:
    """How many parallel sessions each round gets so the day has ``items`` items."""
    optional = max(items - len(COMMON), len(ROUNDS))
    base, rest = divmod(optional, len(ROUNDS))
    return [base + (1 if index < rest else 0) for index in range(len(ROUNDS))]


def programme_text(number: int, items: int, groups: list[str], rng: random.Random) -> str:
    city = CITIES[number % len(CITIES)]
    pid = f"bench-{number:03d}"
    day = FIRST_DAY + timedelta(weeks=number)
    lines = [
        f"# Synthetic network day {number} of the benchmark scale model (seed {SEED}).",
        f'id = "{pid}"', f"title = {toml_text(f'Netwerkdag {city} {number}')}",
        f'kind = "{"bestuurlijk" if number % 3 == 0 else "ambtelijk"}"',
        f"city = {toml_text(city)}", f"description = {toml_text(paragraph(rng, 1, 2))}",
        "", "[[days]]", f'date = "{day.isoformat()}"', f"venue = {toml_text(f'Stadhuis {city}')}",
        f"address = {toml_text(f'Markt {number % 90 + 1}, {city}')}",
        "", "[venues.extern]", f"name = {toml_text(f'Werklocatie {city}-Noord')}",
        f"address = {toml_text(f'Havenweg {number % 70 + 3}, {city}')}",
    ]
    for item_id, kind, title, start, end in COMMON:
        lines += item_lines({
            "id": item_id, "start": start, "end": end, "kind": kind, "title": title,
            "room": "Raadzaal", "description": paragraph(rng, 1, 3) if kind == "plenair" else None,
            "speakers": [person(rng) for _ in range(2)] if kind == "plenair" else None,
        })
    for round_no, ((start, end, kinds), count) in enumerate(
            zip(ROUNDS, session_counts(items), strict=True), start=1):
        for session in range(1, count + 1):
            kind = kinds[(session - 1) % len(kinds)]
            outside = kind in ("wandeling", "excursie", "werkbezoek")
            organisers = rng.sample(groups, rng.choice((0, 1, 1, 2, 2, 3)))
            estimated = rng.random() < 0.05
            lines += item_lines({
                "id": f"r{round_no}-s{session:02d}", "start": start, "end": end, "kind": kind,
                "round": f"Ronde {round_no}",
                "title": f"{kind.capitalize()} {round_no}.{session}: {sentence(rng, 4)[:-1]}",
                "venue": "extern" if outside else None,
                "room": None if outside else f"Zaal {session}",
                "description": paragraph(rng, 2, 5), "groups": organisers,
                "speakers": [person(rng) for _ in range(rng.randint(1, 3))],
                "capacity": rng.choice((None, None, None, 25, 40)),
                "transport": "te voet vanaf het stadhuis" if outside else None,
                "estimated": ["end"] if estimated else None,
                "estimate_note": "Het programma noemt alleen de begintijd." if estimated
                else None,
            })
    return "\n".join(lines) + "\n"


def write_programmes(root: Path, scale: Scale, groups: list[str],
                     rng: random.Random) -> list[str]:
    folder = root / "programmes"
    shutil.copytree(REPO / "programmes", folder)
    ids = []
    for number in range(1, scale.programmes + 1):
        text = programme_text(number, scale.items, groups, rng)
        (folder / f"bench-{number:03d}.toml").write_text(text, "utf-8")
        ids.append(f"bench-{number:03d}")
    return ids


CONFIG = """\
[network]
name = "Landelijk Netwerk (benchmark)"
base_url = "https://netwerk.example/"
uid_domain = "bench.g40cal.example"
"""


# -- participants --------------------------------------------------------------------


def token(rng: random.Random) -> str:
    """256 bits like ``participants.new_token``, but from the seeded generator."""
    while True:
        text = base64.urlsafe_b64encode(rng.randbytes(32)).rstrip(b"=").decode()
        if not text.startswith("-"):
            return text


def add_participants(state: State, scale: Scale, programme_ids: list[str],
                     rng: random.Random, info: ModelInfo) -> None:
    """Insert the participants with their registrations and choices.

    ``participants.insert_participant`` draws its feed token from ``secrets``; the model
    must be the same on every run, so participants rows are inserted with the same SQL and
    a seeded token. Registrations and choices go through ``participants.put_registration``.
    """
    rounds = [(f"Ronde {n}", count) for n, count in
              enumerate(session_counts(scale.items), start=1)]
    now = "2025-11-01T09:00:00+00:00"
    position: dict[str, int] = {}
    started = time.perf_counter()
    with state.transaction():
        for number in range(1, scale.participants + 1):
            name = person(rng)
            cursor = state.db.execute(
                "INSERT INTO participants (name, name_key, email, organisation, token, "
                "created, updated) VALUES (?,?,?,?,?,?,?)",
                (name, fold_text(name), f"deelnemer{number}@gemeente{number % 40}.example",
                 f"Gemeente {CITIES[number % len(CITIES)]}", token(rng), now, now))
            pid = int(cursor.lastrowid or 0)
            days = [programme_ids[(number - 1) % len(programme_ids)]]
            if number % 10 == 0:  # some come to a second network day
                days.append(programme_ids[(number * 7) % len(programme_ids)])
            for programme in dict.fromkeys(days):
                position[programme] = position.get(programme, 0) + 1
                choices = tuple(
                    Choice(f"r{n}-s{rng.randint(1, count):02d}", None)
                    for n, (_, count) in enumerate(rounds, start=1))
                put_registration(state, pid, Registration(
                    programme, None, position[programme], None, "import", choices))
                info.registrations += 1
                info.choices += len(choices)
    info.participants = scale.participants
    info.rounds = len(rounds)
    info.seconds["participants"] = time.perf_counter() - started


def build_model(root: Path, scale: Scale) -> ModelInfo:
    """Write the whole project into ``root`` (which must not exist yet)."""
    rng = random.Random(SEED)
    root.mkdir(parents=True)
    info = ModelInfo(scale.__dict__.copy())
    started = time.perf_counter()
    (root / "g40cal.toml").write_text(CONFIG, "utf-8")
    groups = write_groups(root, scale.groups)
    info.synthetic = write_programmes(root, scale, groups, rng)
    info.seconds["definitions"] = time.perf_counter() - started
    config = load_config(root)
    with State(config.state_path) as state:
        add_participants(state, scale, info.synthetic, rng, info)
        state.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # one file, safe to copy
    info.save(root)
    return info


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description="Write the benchmark's scale model.")
    parser.add_argument("folder", type=Path, help="a folder that does not exist yet")
    parser.add_argument("--quick", action="store_true", help="the small model of --quick")
    args = parser.parse_args()
    scale = QUICK if args.quick else FULL
    info = build_model(args.folder, scale)
    print(f"{args.folder}: {scale.describe()}; {info.registrations:,} registrations")


if __name__ == "__main__":
    main()
