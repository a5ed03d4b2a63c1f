"""Small documents of every supported type, made here (no binary fixtures)."""

from __future__ import annotations

import io
import zipfile

GARDEN_MD = b"""# Garden guide

How to keep a vegetable garden.

## Tomatoes

Water tomatoes deeply twice a week, at the roots, in the morning.
Stake the plants when they reach knee height.

## Compost

Turn the compost heap every fortnight; keep it as damp as a wrung-out sponge.
"""

PRINTER_TXT = b"""Printer manual.

Install the printer driver before you connect the USB cable.
If pages come out blank, replace the toner cartridge and print a test page.
"""

BIKE_HTML = b"""<html><head><title>Bicycle care</title><style>p {color: red}</style></head>
<body><h1>Bicycle care</h1><p>Oil the chain every month and check the tyre pressure
before long rides.</p><script>var hidden = "not text";</script></body></html>"""

SPICES_CSV = b"name,use\ncumin,curries and chili\nsaffron,paella and risotto\n"

PLANETS_JSON = b'{"planets": [{"name": "Mars", "fact": "a red dusty desert world"}]}'


def docx(*paragraphs: str) -> bytes:
    """A .docx file holding these paragraphs."""
    body = "".join(f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>" for text in paragraphs)
    xml = (
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        f"<w:body>{body}</w:body></w:document>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", xml)
    return buffer.getvalue()


def pdf(text: str) -> bytes:
    """A one-page PDF showing `text` in Helvetica."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)
