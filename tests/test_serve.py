"""`g40cal serve` over real HTTP: a real uvicorn server on a free port, real requests."""

from __future__ import annotations

import gzip
import hashlib
import http.client
import logging
import os
import re
import time
from collections.abc import Iterator
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from g40cal.cli import cli
from g40cal.config import Config, load_config
from g40cal.web.serve import TokenIndex, app_factory, create_app, loggable_path
from tests.web_helpers import REPO, ThreadServer, copy_project, free_port, sync

TOKEN = "k3Jq9_Xv-2LmN8pQr5StUvWxYz01AbCdEfGhIjKlMn"
OTHER_TOKEN = "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8S9t0Uv"
PRIVATE_ICS = b"BEGIN:VCALENDAR\r\nX-WR-CALNAME:Mijn netwerkdagen\r\nEND:VCALENDAR\r\n"
SECRET = b"not for the web"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Config:
    root = copy_project(tmp_path_factory.mktemp("serve") / "project")
    sync(root)
    config = load_config(root)
    config.private_path.mkdir(exist_ok=True)
    (config.private_path / f"{TOKEN}.ics").write_bytes(PRIVATE_ICS)
    (config.private_path / f"{TOKEN}.html").write_bytes(b"<!DOCTYPE html><p>mijn</p>" * 40)
    (config.private_path / f"{OTHER_TOKEN}.ics").write_bytes(PRIVATE_ICS)
    (root / "secret.txt").write_bytes(SECRET)
    feeds = config.feeds_path
    (feeds / ".hidden.txt").write_bytes(SECRET)
    (feeds / "leak.txt").symlink_to(root / "secret.txt")
    (feeds / "mine.ics").symlink_to(config.private_path / f"{TOKEN}.ics")
    (config.private_path / f"{'L' * 40}.ics").symlink_to(root / "secret.txt")
    return config


@pytest.fixture(scope="module")
def server(site: Config) -> Iterator[ThreadServer]:
    with ThreadServer(create_app(site), free_port()) as running:
        yield running


@pytest.fixture
def client(server: ThreadServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, headers={"Accept-Encoding": "identity"}) as c:
        yield c


def raw_get(server: ThreadServer, target: str) -> tuple[int, bytes]:
    """A request with the exact target on the wire (httpx would normalise dot segments)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        connection.request("GET", target)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def strong_etag(data: bytes) -> str:
    return '"' + hashlib.sha256(data).hexdigest()[:32] + '"'


def test_a_feed_is_text_calendar_with_a_strong_etag_from_its_bytes(site, client):
    response = client.get("/all.ics")
    data = (site.feeds_path / "all.ics").read_bytes()
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert response.content == data
    assert response.headers["etag"] == strong_etag(data)
    mtime = (site.feeds_path / "all.ics").stat().st_mtime
    assert response.headers["last-modified"] == formatdate(int(mtime), usegmt=True)
    assert response.headers["cache-control"].startswith("public, max-age=")


def test_a_feed_is_never_gzipped_even_when_the_client_asks(site, client):
    response = client.get("/programmes/oss-ambtelijk.ics",
                          headers={"Accept-Encoding": "gzip, deflate, br"})
    assert "content-encoding" not in response.headers
    assert response.content == (site.feeds_path / "programmes/oss-ambtelijk.ics").read_bytes()
    assert int(response.headers["content-length"]) == len(response.content)


def test_pages_are_gzipped_when_the_client_asks(site, client):
    for path, kind in (("/index.html", "text/html; charset=utf-8"),
                       ("/assets/g40cal.css", "text/css; charset=utf-8"),
                       ("/index.json", "application/json")):
        raw = client.get(path, headers={"Accept-Encoding": "gzip"})
        assert raw.headers["content-encoding"] == "gzip", path
        assert raw.headers["content-type"] == kind
        assert "Accept-Encoding" in raw.headers["vary"]
        assert raw.content == (site.feeds_path / path.lstrip("/")).read_bytes()
        plain = client.get(path)
        assert "content-encoding" not in plain.headers
        assert plain.headers["etag"] != raw.headers["etag"]


def test_gzip_body_on_the_wire_is_real_gzip(site, server):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    connection.request("GET", "/index.html", headers={"Accept-Encoding": "gzip"})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    assert gzip.decompress(body) == (site.feeds_path / "index.html").read_bytes()


def test_the_root_serves_the_index_page(site, client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.content == (site.feeds_path / "index.html").read_bytes()
    assert "default-src 'none'" in response.headers["content-security-policy"]


def test_if_none_match_gives_304_without_a_body(client):
    etag = client.get("/all.ics").headers["etag"]
    for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        response = client.get("/all.ics", headers={"If-None-Match": header})
        assert response.status_code == 304, header
        assert response.content == b""
        assert response.headers["etag"] == etag


def test_if_modified_since_gives_304_when_nothing_changed_since(client):
    modified = client.get("/all.ics").headers["last-modified"]
    assert client.get("/all.ics", headers={"If-Modified-Since": modified}).status_code == 304
    earlier = formatdate(parsedate_to_datetime(modified).timestamp() - 60, usegmt=True)
    response = client.get("/all.ics", headers={"If-Modified-Since": earlier})
    assert response.status_code == 200 and response.content
    garbage = client.get("/all.ics", headers={"If-Modified-Since": "gisteren"})
    assert garbage.status_code == 200


def test_if_none_match_wins_over_if_modified_since(client):
    modified = client.get("/all.ics").headers["last-modified"]
    response = client.get("/all.ics", headers={"If-None-Match": '"stale"',
                                                "If-Modified-Since": modified})
    assert response.status_code == 200 and response.content


def test_head_answers_the_same_headers_without_a_body(client):
    get = client.get("/all.ics")
    head = client.head("/all.ics")
    assert head.status_code == 200 and head.content == b""
    for name in ("etag", "last-modified", "content-type", "content-length", "cache-control"):
        assert head.headers[name] == get.headers[name], name


def test_a_changed_file_gets_a_new_etag_and_old_validators_no_longer_match(site, client):
    path = site.feeds_path / "changing.json"
    path.write_bytes(b'{"v": 1}')
    old = client.get("/changing.json").headers["etag"]
    path.write_bytes(b'{"v": 2}')
    os.utime(path, (time.time() + 5, time.time() + 5))
    response = client.get("/changing.json", headers={"If-None-Match": old})
    assert response.status_code == 200 and response.content == b'{"v": 2}'
    assert response.headers["etag"] == strong_etag(b'{"v": 2}')


def test_only_get_and_head_are_allowed(client):
    response = client.post("/all.ics", content=b"x")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"


@pytest.mark.parametrize("target", [
    "/programmes/", "/groups/", "/programmes", "/assets/",
])
def test_folders_are_never_listed(server, target):
    status, body = raw_get(server, target)
    assert status == 404
    assert b".ics" not in body and b".html" not in body


@pytest.mark.parametrize("target", [
    "/../secret.txt",
    "/programmes/../../secret.txt",
    "/%2e%2e/secret.txt",
    "/programmes%2f..%2f..%2fsecret.txt",
    "/programmes/..%2F..%2Fsecret.txt",
    "/..\\secret.txt",
    "//secret.txt",
    "/index.html%00.ics",
    "/.hidden.txt",
    "/leak.txt",
    "/mine.ics",
    "/../private/" + TOKEN + ".ics",
    "/p/../../secret.txt",
    "/p/%2e%2e/secret.txt",
])
def test_path_traversal_and_symlinks_out_of_the_folder_are_refused(server, target):
    status, body = raw_get(server, target)
    assert status == 404, target
    assert SECRET not in body and PRIVATE_ICS not in body


def test_a_personal_feed_is_served_by_its_exact_token(client):
    response = client.get(f"/p/{TOKEN}.ics")
    assert response.status_code == 200
    assert response.content == PRIVATE_ICS
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert response.headers["cache-control"].startswith("private, max-age=")
    assert "noindex" in response.headers["x-robots-tag"]
    page = client.get(f"/p/{TOKEN}.html", headers={"Accept-Encoding": "gzip"})
    assert page.status_code == 200 and page.headers["content-encoding"] == "gzip"
    assert page.headers["cache-control"].startswith("private")


@pytest.mark.parametrize("target", [
    f"/p/{TOKEN[:-1]}.ics",             # one character short
    f"/p/{TOKEN}x.ics",                 # one too many
    f"/p/{TOKEN[:-1]}{'A' if TOKEN[-1] != 'A' else 'B'}.ics",  # last character wrong
    f"/p/{TOKEN.upper()}.ics",          # case matters
    f"/p/{OTHER_TOKEN}.html",           # a real token without a page
    f"/p/{TOKEN}.txt",
    f"/p/{TOKEN}",
    "/p/",
    "/p",
    f"/p/x/{TOKEN}.ics",
    f"/p/{'L' * 40}.ics",               # a symlink in the private folder
    "/p/short.ics",
])
def test_unknown_tokens_get_a_plain_404(server, target):
    status, body = raw_get(server, target)
    assert status == 404, target
    assert body == b"Niet gevonden.\n"


def test_unknown_tokens_answer_exactly_like_a_missing_public_file(client):
    unknown = client.get(f"/p/{TOKEN[:-2]}zz.ics")
    missing = client.get("/nothing-here.ics")
    assert unknown.status_code == missing.status_code == 404
    assert unknown.content == missing.content
    skip = {"date"}
    assert ({k: v for k, v in unknown.headers.items() if k not in skip}
            == {k: v for k, v in missing.headers.items() if k not in skip})


def test_token_lookup_matches_only_the_exact_token(tmp_path):
    (tmp_path / f"{TOKEN}.ics").write_bytes(b"x")
    (tmp_path / f"{TOKEN}.html").write_bytes(b"x")
    (tmp_path / f"{OTHER_TOKEN}.ics").write_bytes(b"x")
    index = TokenIndex(tmp_path)
    assert index.lookup(TOKEN) == {"ics", "html"}
    assert index.lookup(OTHER_TOKEN) == {"ics"}
    for guess in (TOKEN[:-1], TOKEN + "a", TOKEN.lower(), "", OTHER_TOKEN[:20]):
        assert index.lookup(guess) == frozenset()
    new = "N" * 43
    (tmp_path / f"{new}.ics").write_bytes(b"x")
    assert index.lookup(new) == {"ics"}  # a feed written a moment ago is found
    (tmp_path / f"{new}.ics").unlink()
    assert index.lookup(new) == frozenset()


def test_the_access_log_never_holds_a_full_token(client, caplog):
    caplog.set_level(logging.INFO, logger="g40cal.serve")
    client.get(f"/p/{TOKEN}.ics")
    client.get(f"/p/{TOKEN[:-1]}Q.html")
    client.get("/all.ics")
    lines = [r.getMessage() for r in caplog.records if r.name == "g40cal.serve"]
    assert len(lines) == 3
    assert all(TOKEN[:-1] not in line for line in lines)
    assert f'"GET /p/{TOKEN[:4]}….ics" 200' in lines[0]
    assert '"GET /all.ics" 200' in lines[2]
    assert loggable_path(f"/p/{TOKEN}.html") == f"/p/{TOKEN[:4]}….html"


@pytest.mark.parametrize("target", [
    f"/p/./{TOKEN}.ics",
    f"/P/{TOKEN}.ics",
    f"/private/{TOKEN}.ics",
    f"/p/{TOKEN}.ics/",
    f"/p/x/{TOKEN}.ics",
    f"/p/%2e/{TOKEN}.ics",
    f"/p/{TOKEN[:20]}%41{TOKEN[21:]}.ics",  # percent-encoded inside the token
    f"/feeds/{TOKEN}",
    f"/p/{TOKEN}.ics%0A",
])
def test_the_access_log_shortens_a_token_in_any_path(server, caplog, target):
    caplog.set_level(logging.INFO, logger="g40cal.serve")
    status, _ = raw_get(server, target)
    assert status == 404
    [line] = [r.getMessage() for r in caplog.records if r.name == "g40cal.serve"]
    assert f"{TOKEN[:4]}…" in line
    for start in range(1, len(TOKEN) - 5):  # no six characters of the token after its first 4
        assert TOKEN[start:start + 6] not in line, line


def test_a_path_with_an_encoded_newline_gets_the_handler_its_headers_and_one_log_line(
        server, caplog):
    caplog.set_level(logging.INFO, logger="g40cal.serve")
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        connection.request("GET", "/all.ics%0A%0D127.0.0.1%20%22GET%20/forged%22%20200")
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    assert (response.status, body) == (404, b"Niet gevonden.\n")
    assert response.getheader("X-Content-Type-Options") == "nosniff"
    assert response.getheader("Cache-Control") == "no-store"
    [line] = [r.getMessage() for r in caplog.records if r.name == "g40cal.serve"]
    assert '"GET /all.ics\\x0a\\x0d127.0.0.1 "GET /forged" 200" 404' in line
    assert "\n" not in line and "\r" not in line


def test_a_public_file_served_keeps_its_full_name_in_the_log(site, client, caplog):
    caplog.set_level(logging.INFO, logger="g40cal.serve")
    name = sorted((site.feeds_path / "programmes").glob("*.ics"))[0].name
    assert len(name) > 20  # as long as a token: only a public file served keeps it whole
    assert client.get(f"/programmes/{name}").status_code == 200
    [line] = [r.getMessage() for r in caplog.records if r.name == "g40cal.serve"]
    assert f'"GET /programmes/{name}" 200' in line


def test_app_factory_reads_the_project_folder_from_the_environment(site, monkeypatch):
    monkeypatch.setenv("G40CAL_ROOT", str(site.root))
    app = app_factory()
    assert app.state.server.public_root == site.feeds_path.resolve()


def test_serve_without_published_feeds_says_to_sync_first(tmp_path):
    root = copy_project(tmp_path / "fresh")
    result = CliRunner().invoke(cli, ["--root", str(root), "serve", "--port", "1"])
    assert result.exit_code == 1
    assert "run g40cal sync first" in result.output


def test_private_folder_inside_the_feeds_folder_is_not_served_publicly(tmp_path):
    root = copy_project(tmp_path / "inside")
    (root / "g40cal.toml").write_text('[paths]\nprivate = "feeds/private"\n', encoding="utf-8")
    sync(root)
    config = load_config(root)
    config.private_path.mkdir(parents=True, exist_ok=True)
    (config.private_path / f"{TOKEN}.ics").write_bytes(PRIVATE_ICS)
    with ThreadServer(create_app(config), free_port()) as running:
        assert raw_get(running, f"/private/{TOKEN}.ics")[0] == 404
        assert raw_get(running, f"/p/{TOKEN}.ics") == (200, PRIVATE_ICS)



# -- the nginx configuration the docs give ---------------------------------------------------


def nginx_blocks(path: Path) -> list[str]:
    return re.findall(r"```nginx\n(.*?)```", path.read_text(encoding="utf-8"), re.DOTALL)


def nginx_log_uri(config: str, uri: str) -> str:
    """What the documented ``map $request_uri $g40_log_uri`` logs for ``uri``: its regexes
    (PCRE, the subset Python's ``re`` reads alike) in order, the first match wins."""
    body = re.search(r"map \$request_uri \$g40_log_uri \{\n(.*?)\n\}", config, re.DOTALL)
    assert body is not None
    for line in body.group(1).splitlines():
        line = line.strip()
        if line.startswith("default"):
            return uri
        pattern, value = re.fullmatch(r'"~(.*)"\s+(\S+);', line).groups()  # type: ignore[union-attr]
        found = re.search(pattern, uri)
        if found:
            value = value.strip('"').replace("$request_uri", uri)
            for name, text in found.groupdict().items():
                value = value.replace(f"${name}", text)
            return value
    return uri


def test_the_readme_gives_the_same_nginx_configuration_as_the_serving_guide():
    [readme] = nginx_blocks(REPO / "README.md")
    [guide] = nginx_blocks(REPO / "docs" / "serving.md")
    assert readme == guide
    personal = guide[guide.index('location ~ "^/p/'):]
    personal = personal[:personal.index("\n    }")]
    assert 'add_header Referrer-Policy "no-referrer" always;' in personal
    assert "access_log /var/log/nginx/g40cal.log g40;" in guide


@pytest.mark.parametrize("uri", [
    f"/p/{TOKEN}.ics", f"/p/./{TOKEN}.ics", f"/P/{TOKEN}.ics", f"/private/{TOKEN}.html",
    f"/p/x/{TOKEN}.ics", f"/feeds/{TOKEN}", f"/index.html?k={TOKEN}", f"/{TOKEN}",
    f"/programmes/{TOKEN}.ics",
])
def test_the_documented_nginx_log_format_shortens_a_token_in_any_path(uri):
    [guide] = nginx_blocks(REPO / "docs" / "serving.md")
    logged = nginx_log_uri(guide, uri)
    assert logged.endswith(f"{TOKEN[:4]}..."), logged
    assert TOKEN[4:10] not in logged


def test_the_documented_nginx_log_format_keeps_public_names_whole():
    [guide] = nginx_blocks(REPO / "docs" / "serving.md")
    for uri in ("/", "/index.html", "/all.ics", "/programmes/almelo-ambtelijk-2024.ics",
                "/groups/europa.html", "/assets/g40cal.css"):
        assert nginx_log_uri(guide, uri) == uri
