"""Which payment network an EMVCo merchant-presented code belongs to.

Codes found at stalls are not all VietQR: a wallet's own code (VNPay-QR) or a card scheme's. The
network is read from the merchant account templates: tag 38 with the NAPAS GUID is VietQR; tags
26-51 carry a GUID (AID/RID) in sub-tag 00; tags 02-25 are reserved for card schemes by EMVCo.
"""

from __future__ import annotations

from qr.errors import PayloadError
from qr.tlv import split

# GUID prefix -> network, checked in this order.
GUIDS: tuple[tuple[str, str], ...] = (
    ("A000000727", "vietqr"),  # NAPAS
    ("A000000775", "vnpay"),  # VNPAY-QR
    ("A000000677", "promptpay"),  # Thailand, seen with tourists' wallets
)
# EMVCo-reserved primitive tags for card schemes (EMV QRCPS MPM section 4.6).
CARD_TAGS: tuple[tuple[range, str], ...] = (
    (range(2, 4), "visa"),
    (range(4, 6), "mastercard"),
    (range(9, 11), "discover"),
    (range(11, 13), "amex"),
    (range(13, 15), "jcb"),
    (range(15, 17), "unionpay"),
)


def network_of(text: str) -> str:
    """ "vietqr", "vnpay", "visa", ... for a payload; "emvco" for an EMVCo code of a network we do
    not know; "unknown" when the text is not an EMVCo code at all. Never raises."""
    if not isinstance(text, str) or not text.startswith("000201"):
        return "unknown"
    try:
        fields = {f.tag: f.value for f in split(text.strip())}
    except PayloadError:  # a broken code still has a network if its head is readable
        return "emvco"
    return network_of_fields(fields)


def network_of_fields(fields: dict[str, str]) -> str:
    templates = [fields[t] for t in ["38", *(f"{n:02d}" for n in range(26, 52))] if t in fields]
    for value in templates:
        try:
            guid = next((f.value for f in split(value) if f.tag == "00"), "")
        except PayloadError:
            continue
        for prefix, network in GUIDS:
            if guid.upper().startswith(prefix):
                return network
    for tag in fields:
        if tag.isdigit():
            for tags, network in CARD_TAGS:
                if int(tag) in tags:
                    return network
    return "emvco" if fields.get("00") == "01" else "unknown"
