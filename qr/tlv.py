"""EMVCo TLV: ``ID`` (2 digits) + ``LEN`` (2 digits, characters) + ``VALUE``, nested in templates.

Pure index arithmetic over ``str`` (lengths count characters, not bytes).
"""

from __future__ import annotations

from dataclasses import dataclass

from qr.errors import PayloadError

MAX_VALUE_CHARS = 99  # a two-digit length field cannot say more


@dataclass(frozen=True, slots=True)
class Field:
    tag: str
    value: str


def tag_label(tag: str, names: dict[str, str]) -> str:
    name = names.get(tag)
    return f"tag {tag} ({name})" if name else f"tag {tag}"


def split(text: str, *, where: str = "") -> list[Field]:
    """Split ``text`` into fields; raise ``PayloadError`` naming the offending tag."""
    return [Field(tag, value) for tag, value in split_pairs(text, where=where)]


def split_pairs(text: str, *, where: str = "") -> list[tuple[str, str]]:
    """``split`` as plain ``(tag, value)`` pairs: the hot path of parsing."""
    pairs: list[tuple[str, str]] = []
    pos = 0
    end = len(text)
    while pos < end:
        head = text[pos : pos + 4]
        if len(head) == 4 and head.isdigit() and head.isascii():
            length = int(head[2:])
            start = pos + 4
            if start + length <= end:
                pairs.append((head[:2], text[start : start + length]))
                pos = start + length
                continue
        _raise_for(text, pos, where)
    return pairs


def _raise_for(text: str, pos: int, where: str) -> None:
    end = len(text)
    tag = text[pos : pos + 2]
    length_text = text[pos + 2 : pos + 4]
    if end - pos < 4:
        raise PayloadError(
            f"{where}truncated data object at position {pos}: {text[pos:]!r}", tag=tag
        )
    if not (tag.isascii() and tag.isdigit()):
        raise PayloadError(f"{where}tag {tag!r} at position {pos}: not two digits", tag=tag)
    if not (length_text.isascii() and length_text.isdigit()):
        raise PayloadError(f'{where}tag {tag} length "{length_text}": not two digits', tag=tag)
    left = end - pos - 4
    raise PayloadError(
        f"{where}tag {tag} length {int(length_text)} overruns the data ({left} characters left)",
        tag=tag,
    )


def join(fields: list[Field]) -> str:
    """Serialise ``fields`` in the given order; a value must fit the 2-digit length."""
    parts = []
    for field in fields:
        length = len(field.value)
        if length > MAX_VALUE_CHARS:
            raise PayloadError(
                f"tag {field.tag}: value of {length} characters is over {MAX_VALUE_CHARS}",
                tag=field.tag,
            )
        parts.append(f"{field.tag}{length:02d}{field.value}")
    return "".join(parts)
