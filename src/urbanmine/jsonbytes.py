"""JSON text from bytes as real clients write it: UTF-8 (RFC 8259 §8.1), with or without a
byte-order mark, or UTF-16 with a byte-order mark (little- or big-endian), as the Battery Pass
consortium publishes most of its files. Anything else is one ``InputError`` naming the encoding.
"""

from __future__ import annotations

import codecs
import json
from typing import Any

from urbanmine.errors import InputError

ACCEPTED = "UTF-8 (with or without a byte-order mark) or UTF-16 with a byte-order mark"

_BOMS = (  # UTF-32 first: its little-endian mark begins with UTF-16's
    (codecs.BOM_UTF32_LE, None, "UTF-32 little-endian"),
    (codecs.BOM_UTF32_BE, None, "UTF-32 big-endian"),
    (codecs.BOM_UTF8, "utf-8", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16 little-endian"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16 big-endian"),
)


def text(data: bytes) -> str:
    """The text of JSON bytes in one of the ``ACCEPTED`` encodings; ``InputError`` otherwise."""
    for bom, codec, name in _BOMS:
        if data.startswith(bom):
            if codec is None:
                raise InputError(f"the text is {name} (byte-order mark); accepted: {ACCEPTED}")
            body, encoding = data[len(bom) :], name
            break
    else:
        if b"\x00" in data[:4]:
            raise InputError(
                f"the text looks like UTF-16 or UTF-32 without a byte-order mark; accepted: {ACCEPTED}"
            )
        body, codec, encoding = data, "utf-8", "UTF-8"
    try:
        return body.decode(codec)
    except UnicodeDecodeError as exc:
        raise InputError(
            f"the text is not valid {encoding}: byte {exc.object[exc.start]:#04x} at offset "
            f"{exc.start + len(data) - len(body)} ({exc.reason}); accepted: {ACCEPTED}"
        ) from None


def loads(data: bytes) -> Any:
    """Parse JSON bytes in one of the ``ACCEPTED`` encodings; ``InputError`` naming the problem."""
    try:
        return json.loads(text(data))
    except json.JSONDecodeError as exc:
        raise InputError(f"not JSON: {exc}") from None
