from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import msgspec
import pytest

from flowstead.engine.node import NodeResult
from flowstead.engine.nodes import document_extractor
from flowstead.engine.ports import FileContent

from .context import TestContext, make_node


@dataclass
class FakeFiles:
    """Files by id; an unknown id fails the way a missing upload would."""

    blobs: dict[str, bytes]

    async def read(self, file: Mapping[str, Any]) -> FileContent:
        try:
            return FileContent(self.blobs[file["id"]])
        except KeyError:
            raise FileNotFoundError(f"no upload {file['id']}") from None


def upload(name: str, mime_type: str = "") -> dict[str, Any]:
    return {"id": name, "name": name, "mime_type": mime_type, "size": 0}


async def extract(value: Any, blobs: dict[str, bytes]) -> NodeResult:
    config = {"variable": "start.doc"}
    ctx = TestContext(
        node=make_node("document_extractor", config),
        values={"start": {"doc": value}},
        files=FakeFiles(blobs),
    )
    return await document_extractor.run(
        msgspec.convert(config, document_extractor.DocumentExtractorConfig), ctx
    )


async def text_of(name: str, data: bytes, mime_type: str = "") -> str:
    result = await extract(upload(name, mime_type), {name: data})
    assert result.status == "succeeded", result.error
    return str(result.outputs["text"])


def minimal_pdf(*pages: str) -> bytes:
    """A small valid PDF with one line of Helvetica text per page."""
    count = len(pages)
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(count))
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {count} >>",
    ]
    font = 3 + 2 * count
    for i, text in enumerate(pages):
        stream = f"BT /F1 24 Tf 72 720 Td ({text}) Tj ET"
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {4 + 2 * i} 0 R"
            f" /Resources << /Font << /F1 {font} 0 R >> >> >>"
        )
        objects.append(f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream")
    objects.append("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    trailer = f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    return out + trailer.encode()


def minimal_docx(*paragraphs: str) -> bytes:
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    body = "".join(f"<w:p><w:r><w:t>{p}</w:t></w:r></w:p>" for p in paragraphs)
    body += "<w:p><w:r><w:t>a</w:t><w:tab/><w:t>b</w:t><w:br/><w:t>c</w:t></w:r></w:p>"
    xml = f'<?xml version="1.0"?><w:document xmlns:w="{w}"><w:body>{body}</w:body></w:document>'
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", xml)
    return buffer.getvalue()


async def test_plain_text_and_markdown_are_kept_as_they_are() -> None:
    assert await text_of("notes.txt", "café\nline 2\n".encode()) == "café\nline 2\n"
    assert await text_of("README.MD", b"# Title\n\n- item") == "# Title\n\n- item"


async def test_text_encodings_are_recognised() -> None:
    assert await text_of("bom.txt", "\ufeffhello".encode()) == "hello"
    assert await text_of("utf16.txt", "hello".encode("utf-16")) == "hello"
    assert await text_of("latin.txt", "café".encode("cp1252")) == "café"


async def test_html_gives_the_title_and_visible_text_only() -> None:
    html = b"""<html><head><title>The  Page</title><style>p { color: red }</style>
    <script>alert("no")</script></head><body><nav>Home</nav>
    <p>Hello <b>bold</b> world</p><noscript>enable js</noscript>
    <ul><li>one</li><li>two &amp; three</li></ul><svg><text>icon</text></svg></body></html>"""
    text = await text_of("page.html", html)
    assert text == "The Page\n\nHome\nHello bold world\none\ntwo & three"


async def test_csv_becomes_a_markdown_table() -> None:
    data = b'name,note\nAda,"likes | pipes"\nBob\n'
    text = await text_of("people.csv", data)
    assert text == "| name | note |\n| --- | --- |\n| Ada | likes \\| pipes |\n| Bob |  |"


async def test_tsv_and_semicolons_are_sniffed() -> None:
    assert await text_of("t.tsv", b"a\tb\n1\t2\n") == "| a | b |\n| --- | --- |\n| 1 | 2 |"
    assert await text_of("t.csv", b"a;b\n1;2\n") == "| a | b |\n| --- | --- |\n| 1 | 2 |"


async def test_json_is_pretty_printed() -> None:
    assert (
        await text_of("data.json", b'{"a":[1,"\xc3\xa9"]}')
        == '{\n  "a": [\n    1,\n    "é"\n  ]\n}'
    )


async def test_pdf_pages_become_text() -> None:
    pytest.importorskip("pypdf")
    text = await text_of("report.pdf", minimal_pdf("First page", "Second page"))
    assert text == "First page\n\nSecond page"


async def test_docx_paragraphs_become_lines() -> None:
    text = await text_of("letter.docx", minimal_docx("Dear Ada,", "Thanks."))
    assert text == "Dear Ada,\nThanks.\na\tb\nc"


async def test_the_mime_type_is_used_when_the_name_has_no_known_extension() -> None:
    assert await text_of("download", b"<p>hi</p>", "text/html; charset=utf-8") == "hi"
    assert await text_of("notes", b"plain", "text/x-whatever") == "plain"
    russian = "привет".encode("koi8-r")
    assert await text_of("page", russian, "text/plain; charset=KOI8-R") == "привет"


async def test_a_list_of_files_gives_a_list_of_texts() -> None:
    files = [upload("a.txt"), upload("b.md")]
    result = await extract(files, {"a.txt": b"A", "b.md": b"B"})
    assert result.outputs == {"text": ["A", "B"]}
    assert result.inputs == {"files": ["a.txt", "b.md"]}
    assert (await extract([], {})).outputs == {"text": []}


@dataclass
class Remote:
    """Serves every URL with these bytes and this Content-Type."""

    data: bytes
    content_type: str = ""

    async def read(self, file: Mapping[str, Any]) -> FileContent:
        return FileContent(self.data, self.content_type)


async def extract_remote(file: dict[str, Any], served: Remote) -> NodeResult:
    config = {"variable": "start.doc"}
    ctx = TestContext(
        node=make_node("document_extractor", config),
        values={"start": {"doc": file}},
        files=served,
    )
    return await document_extractor.run(document_extractor.DocumentExtractorConfig(**config), ctx)


async def test_a_remote_file_is_named_by_its_url() -> None:
    file = {"url": "https://example.com/files/notes.txt?sig=1"}
    result = await extract_remote(file, Remote(b"remote text"))
    assert (result.outputs, result.inputs) == ({"text": "remote text"}, {"files": ["notes.txt"]})


async def test_a_url_without_an_extension_is_read_as_the_type_it_was_served_with() -> None:
    pytest.importorskip("pypdf")
    file = {"url": "https://example.com/download?id=7", "mime_type": ""}
    served = Remote(minimal_pdf("Served as a PDF"), "application/pdf")
    result = await extract_remote(file, served)
    assert (result.outputs, result.inputs) == ({"text": "Served as a PDF"}, {"files": ["download"]})


async def test_the_served_charset_decodes_the_text() -> None:
    file = {"url": "https://example.com/get?page=1"}
    served = Remote("привет".encode("koi8-r"), "text/plain; charset=KOI8-R")
    assert (await extract_remote(file, served)).outputs == {"text": "привет"}


async def test_a_type_that_says_only_bytes_gives_way_to_the_served_one() -> None:
    file = {"url": "https://example.com/export", "mime_type": "application/octet-stream"}
    served = Remote(b"a,b\n1,2\n", "text/csv")
    assert (await extract_remote(file, served)).outputs == {
        "text": "| a | b |\n| --- | --- |\n| 1 | 2 |"
    }


async def test_the_name_and_the_values_own_type_come_before_the_served_one() -> None:
    html = b"<p>hi</p>"
    # The extension decides; then the type in the value; the served one only after them.
    named = {"url": "https://example.com/page.txt"}
    assert (await extract_remote(named, Remote(html, "text/html"))).outputs == {"text": "<p>hi</p>"}
    typed = {"url": "https://example.com/page", "mime_type": "text/html"}
    assert (await extract_remote(typed, Remote(html, "text/plain"))).outputs == {"text": "hi"}


async def test_a_url_nothing_says_the_type_of_fails_naming_it() -> None:
    file = {"url": "https://example.com/blob?id=1"}
    result = await extract_remote(file, Remote(b"\x00\x01", "application/octet-stream"))
    assert result.error is not None
    assert result.error.startswith(
        "could not extract text from 'blob': unsupported file type (application/octet-stream)"
    )


@pytest.mark.parametrize(
    ("name", "data", "error"),
    [
        (
            "sheet.xlsx",
            b"PK",
            "could not extract text from 'sheet.xlsx': unsupported file type (.xlsx); supported: ",
        ),
        ("blob", b"\x00\x01", "could not extract text from 'blob': unsupported file type"),
        (
            "bin.txt",
            b"ab\x00cd",
            "could not extract text from 'bin.txt': it is binary data, not text",
        ),
        ("bad.json", b"{nope", "could not extract text from 'bad.json': it is not valid JSON: "),
        (
            "bad.docx",
            b"not a zip",
            "could not extract text from 'bad.docx': it is not a readable .docx",
        ),
    ],
)
async def test_unsupported_or_unreadable_files_fail_naming_the_file(
    name: str, data: bytes, error: str
) -> None:
    result = await extract(upload(name), {name: data})
    assert result.status == "failed"
    assert result.error is not None
    assert result.error.startswith(error)


async def test_a_damaged_pdf_fails_naming_the_file() -> None:
    pytest.importorskip("pypdf")
    result = await extract(upload("broken.pdf"), {"broken.pdf": b"%PDF-1.4 garbage"})
    assert result.error is not None
    assert result.error.startswith(
        "could not extract text from 'broken.pdf': it is not a readable PDF"
    )


async def test_a_file_that_cannot_be_read_fails_naming_it() -> None:
    result = await extract([upload("a.txt"), upload("gone.txt")], {"a.txt": b"A"})
    assert result.error == "could not read file 'gone.txt': no upload gone.txt"


async def test_a_value_that_is_not_a_file_fails() -> None:
    result = await extract("just text", {})
    assert result.error == "`start.doc` holds a str, not a file"


async def test_a_missing_variable_or_none_chosen_fails() -> None:
    ctx = TestContext(node=make_node("document_extractor", {}), values={"start": {}})
    unset = document_extractor.DocumentExtractorConfig()
    assert (await document_extractor.run(unset, ctx)).error == "choose the file variable to read"
    missing = document_extractor.DocumentExtractorConfig(variable="start.doc")
    assert (await document_extractor.run(missing, ctx)).error == "no value at `start.doc`"
