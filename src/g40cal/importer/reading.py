"""Open the bureau's programme document, whatever it is, and hand back a ``Document``.

The format is told by the content, not by the file name: a Word document saved with the
wrong extension, or a PDF called ``programma.txt``, is still read. Everything that cannot be
read (empty, binary, password-protected, damaged, a spreadsheet, too large, old ``.doc``, a
scan without text) is refused with a ``UserError`` that names the file, says what is wrong
and what to do instead. Reading never writes anything.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from g40cal.errors import UserError
from g40cal.importer.document import Document

# A programme of a network day is a few pages: even with a photo or two it stays far below
# this. Bigger files are almost always the wrong file (a photo album, a presentation) and
# would make the PDF reader crawl, so they are refused before reading.
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
# The text part of a Word document, unpacked; guards against a zip that unpacks to gigabytes.
MAX_UNPACKED_TEXT_BYTES = 50 * 1024 * 1024

_ZIP_MAGIC = b"PK\x03\x04"
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old Office files and encrypted new ones
_IMAGE_MAGICS = {
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"II*\x00": "a TIFF image",
    b"MM\x00*": "a TIFF image",
}
_ODF_TEXT = "application/vnd.oasis.opendocument.text"
_ODF_SPREADSHEET = "application/vnd.oasis.opendocument.spreadsheet"

SPREADSHEET = "this is a spreadsheet, not a programme document"
SPREADSHEET_TODO = (
    "import the programme as the bureau writes it (Word .docx, a PDF with text, or plain text)"
)


# Characters that look like others to a reader but not to a program: typographic ligatures
# (PDFs from Word write "ﬁ" for "fi" in "ﬁnanciën"), soft hyphens (invisible unless a word
# breaks there), non-breaking spaces and hyphens.
_UNIFY = str.maketrans({
    "\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl",
    "\ufb05": "st", "\ufb06": "st", "\u00ad": None, "\u00a0": " ", "\u202f": " ",
    "\u2011": "-", "\u200b": None, "\ufeff": None,
})


def unify_characters(text: str) -> str:
    """Text as a reader reads it: ligatures spelled out, invisible characters dropped."""
    return text.translate(_UNIFY)


def refuse(path: Path, what: str, todo: str) -> UserError:
    """The one shape of every refusal: file, what is wrong, what to do."""
    return UserError(f"{path}: {what}; {todo}")


def raised_by_library(err: BaseException, *packages: str) -> bool:
    """True when the innermost frame of ``err`` is in one of these libraries.

    A damaged file can make a reading library fail anywhere, with any exception; that is
    bad input (exit 1). A failure in g40cal's own code stays an internal fault (exit 3).
    """
    import traceback

    frames = traceback.extract_tb(err.__traceback__)
    if not frames:
        return False
    innermost = Path(frames[-1].filename)
    return any(part in packages for part in innermost.parts) or innermost.stem in packages


def read_document(path: Path) -> Document:
    """Read a programme document of any supported kind (see docs/importing-files.md)."""
    data = _read_bytes(path)
    kind = sniff(path, data)
    # The Word and PDF libraries are imported only when needed: they take a while to load
    # and every other g40cal command would pay for them.
    if kind == "docx":
        from g40cal.importer.docx_reader import read_docx

        return read_docx(path, data)
    if kind == "pdf":
        from g40cal.importer.pdf_reader import read_pdf

        return read_pdf(path, data)
    from g40cal.importer.text_reader import read_text

    return read_text(path, decode_text(path, data))


def _read_bytes(path: Path) -> bytes:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise UserError(f"{path}: file not found") from None
    except OSError as err:
        raise UserError(f"{path}: cannot be read ({err.strerror})") from None
    if path.is_dir():
        raise UserError(f"{path}: is a folder; give the programme document itself")
    if size > MAX_DOCUMENT_BYTES:
        raise refuse(
            path,
            f"the file is {size / 1024 / 1024:.1f} MB, more than the "
            f"{MAX_DOCUMENT_BYTES // 1024 // 1024} MB a programme document can be",
            "check that this is the programme; save it without large images, or export "
            "only the programme pages as PDF",
        )
    try:
        return path.read_bytes()
    except OSError as err:
        raise UserError(f"{path}: cannot be read ({err.strerror})") from None


def sniff(path: Path, data: bytes) -> str:
    """``docx``, ``pdf`` or ``text``; refuses every other kind of file with a UserError."""
    if not data.strip():
        raise refuse(path, "the file is empty", "export the programme again and import that file")
    if data.startswith(_ZIP_MAGIC) or data.startswith(b"PK\x05\x06"):
        return _sniff_zip(path, data)
    if data.startswith(_OLE2_MAGIC):
        raise _refuse_ole2(path, data)
    if b"%PDF-" in data[:1024]:
        return "pdf"
    head = data[:2048].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head[:600]:
        raise refuse(
            path,
            "this is a web page (HTML), not a programme document",
            "save the programme from Word as .docx or PDF, or paste its text into a .txt file",
        )
    if data.lstrip()[:5] == b"{\\rtf":
        raise refuse(path, "this is an RTF document", "open it in Word and save it as .docx")
    for magic, name in _IMAGE_MAGICS.items():
        if data.startswith(magic):
            raise refuse(
                path,
                f"this is {name}, not a document with text",
                "import the Word document or a PDF with a text layer instead",
            )
    return "text"


def _sniff_zip(path: Path, data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            mimetype = (
                archive.read("mimetype").decode("ascii", "replace").strip()
                if "mimetype" in names
                else ""
            )
            if "word/document.xml" in names:
                if archive.getinfo("word/document.xml").file_size > MAX_UNPACKED_TEXT_BYTES:
                    raise refuse(
                        path,
                        "the text of this Word document unpacks to more than "
                        f"{MAX_UNPACKED_TEXT_BYTES // 1024 // 1024} MB",
                        "check that this is the programme document",
                    )
                return "docx"
    except zipfile.BadZipFile:
        raise refuse(
            path,
            "the file is damaged (it starts like an Office document but is not a complete one)",
            "open it in Word and save it again, or ask the sender for a new copy",
        ) from None
    except (OSError, KeyError, RuntimeError) as err:
        raise refuse(
            path, f"the file is damaged ({err})", "open it in Word and save it again"
        ) from None
    if "xl/workbook.xml" in names or mimetype == _ODF_SPREADSHEET:
        raise refuse(path, SPREADSHEET, SPREADSHEET_TODO)
    if mimetype == _ODF_TEXT:
        raise refuse(path, "this is an OpenDocument text (.odt)", "save it as Word .docx")
    if "ppt/presentation.xml" in names:
        raise refuse(path, "this is a PowerPoint presentation, not a programme document",
                     "import the programme's Word document or PDF")
    raise refuse(path, "this is a zip archive, not a programme document",
                 "unpack it and import the programme document inside")


def _refuse_ole2(path: Path, data: bytes) -> UserError:
    """Old Office binaries and password-protected new ones share one container format.

    Its directory names its streams in UTF-16; looking for a stream's name tells which kind
    of file it is without reading the container.
    """

    def has_stream(name: str) -> bool:
        return name.encode("utf-16-le") in data

    if has_stream("EncryptedPackage") or has_stream("EncryptionInfo"):
        return refuse(
            path,
            "the document is protected with a password",
            "open it in Word, remove the password (File > Info > Protect Document) and "
            "save it as a new .docx",
        )
    if has_stream("WordDocument"):
        return refuse(
            path,
            "this is an old Word document (.doc), which cannot be read",
            "open it in Word and save it as .docx (Word Document)",
        )
    if has_stream("Workbook") or has_stream("Book"):
        return refuse(path, SPREADSHEET, SPREADSHEET_TODO)
    return refuse(
        path,
        "this is an old Office file that is not a Word document",
        "save the programme as Word .docx or PDF",
    )


# --- text ----------------------------------------------------------------------------------

_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f]")


def decode_text(path: Path, data: bytes) -> str:
    """Text in the encodings a Windows office produces, or a clear refusal.

    UTF-8 (with or without BOM) and UTF-16 (with BOM, or without it when every other byte
    is zero) are read as they are. Windows-1252 is assumed only when the file has no valid
    UTF-8 at all: a file that is UTF-8 in one place and not in another is damaged, and
    guessing would silently garble names, so the line with the bad bytes is reported.
    """
    text = _decode_unicode_with_marks(data)
    if text is None:
        _refuse_binary(path, data)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as err:
            text = _decode_legacy(path, data, err)
    text = unify_characters(text.replace("\r\n", "\n").replace("\r", "\n"))
    if not text.strip():
        raise refuse(path, "the file is empty", "export the programme again and import that file")
    _refuse_spreadsheet_text(path, text)
    return text


def _decode_unicode_with_marks(data: bytes) -> str | None:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict") if _valid(data[3:], "utf-8") else None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16") if _valid(data, "utf-16") else None
    sample = data[:4000]
    if len(sample) >= 4:
        even_zeros = sample[0::2].count(0) / len(sample[0::2])
        odd_zeros = sample[1::2].count(0) / len(sample[1::2])
        if odd_zeros > 0.3 and even_zeros < 0.05 and _valid(data, "utf-16-le"):
            return data.decode("utf-16-le")
        if even_zeros > 0.3 and odd_zeros < 0.05 and _valid(data, "utf-16-be"):
            return data.decode("utf-16-be")
    return None


def _valid(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _refuse_binary(path: Path, data: bytes) -> None:
    controls = len(_CONTROL_BYTES.findall(data[:65536]))
    if b"\x00" in data[:65536] or controls > max(2, len(data[:65536]) // 200):
        raise refuse(
            path,
            "this is not a text document (it contains binary data) and not a Word or PDF file",
            "import the programme as Word .docx, PDF with text, or plain text",
        )


def _decode_legacy(path: Path, data: bytes, err: UnicodeDecodeError) -> str:
    line = data.count(b"\n", 0, err.start) + 1
    if _UTF8_MULTIBYTE.search(data):
        raise refuse(
            path,
            f"line {line} has bytes that are not UTF-8, while the rest of the file is UTF-8 "
            "(the file is damaged or was pasted together from two encodings)",
            f"retype the odd characters on line {line} and save the file as UTF-8",
        )
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as legacy_err:
        bad_line = data.count(b"\n", 0, legacy_err.start) + 1
        raise refuse(
            path,
            f"line {bad_line} has bytes that are neither UTF-8 nor Windows-1252 text",
            "save the file as UTF-8 text",
        ) from None


def _refuse_spreadsheet_text(path: Path, text: str) -> None:
    """CSV exports: nearly every line has the same number of separators, unlike prose."""
    lines = [line for line in text.split("\n") if line.strip()]
    if len(lines) < 3:
        return
    for separator in (";", ","):
        counts = [line.count(separator) for line in lines]
        most = max(set(counts), key=counts.count)
        same = counts.count(most)
        if most >= 2 and same >= 0.8 * len(lines) and "\t" not in text:
            raise refuse(
                path,
                f"{SPREADSHEET} (every line has {most + 1} fields "
                f"separated by '{separator}')",
                SPREADSHEET_TODO,
            )


def looks_like_markdown(text: str) -> bool:
    """Markdown tables (a ``|---|`` separator line) or ATX headings (``## Title``)."""
    return bool(
        re.search(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{1,}:?\s*)+\|?\s*$", text, re.MULTILINE)
        or re.search(r"^#{1,6}\s+\S", text, re.MULTILINE)
    )
