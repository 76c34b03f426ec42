"""``/api/v1/qr``: parse, encode and scan VietQR codes; the same qr functions as ``marketpay qr``.

Errors are ``QRError`` subclasses, answered as 422 ``{"error", "message"}`` by the error family
handler; ``parse`` answers 200 with ``valid: false`` for an invalid payload, like the CLI's JSON.
"""

from __future__ import annotations

import base64
from typing import Annotated, Any, Literal, get_args

from fastapi import APIRouter, File, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr

import qr
from merchant_app.api.contract import errors
from qr.model import SERVICE_CODES
from qr.scan import MAX_IMAGE_BYTES

router = APIRouter(prefix="/api/v1/qr", tags=["qr"])
Service = Literal["QRIBFTTA", "QRIBFTTC", "QRPUSH"]
assert set(get_args(Service)) == SERVICE_CODES, "the schema lists qr's service codes"

MAX_PAYLOAD_CHARS = 512


class ParseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    payload: StrictStr = Field(max_length=MAX_PAYLOAD_CHARS)
    lenient: StrictBool = False


class EncodeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    bin: str
    account: str
    amount: int | None = None
    purpose: str | None = None
    bill: str | None = None
    name: str = ""
    city: str = ""
    service: str = qr.SERVICE_ACCOUNT
    format: Literal["text", "png", "svg"] = "text"


@router.post("/parse", responses=errors(400))
def parse_payload(body: ParseIn) -> dict[str, Any]:
    """The ``qr parse --json`` object for ``payload``."""
    if body.lenient:
        return qr.describe_report(qr.parse_lenient(body.payload))
    try:
        return qr.describe(qr.parse(body.payload), crc=body.payload[-4:].upper())
    except qr.PayloadError as exc:
        return qr.describe_error(exc)


@router.post("/encode", responses=errors(400))
def encode(body: EncodeIn) -> dict[str, Any]:
    """``{"payload", "code"}``; with format png or svg also ``image`` (base64 PNG or SVG text)."""
    try:
        code = qr.VietQR.model_validate(
            {
                "bin": body.bin,
                "account": body.account,
                "amount": body.amount,
                "purpose": body.purpose,
                "bill_number": body.bill,
                "merchant_name": body.name,
                "merchant_city": body.city,
                "service_code": body.service,
            }
        )
    except ValueError as exc:
        raise qr.PayloadError(str(exc).replace("\n", "; ")) from exc
    payload = qr.build(code)
    result: dict[str, Any] = {"payload": payload, "code": qr.describe(code)}
    if body.format == "png":
        result["image"] = base64.b64encode(qr.render_png(payload)).decode("ascii")
    elif body.format == "svg":
        result["image"] = qr.render_svg(payload)
    return result


@router.post("/scan", responses=errors(400, 413, 422))
async def scan_image(image: Annotated[UploadFile, File()]) -> JSONResponse:
    """Decode the QR codes in an uploaded photo: ``{"payloads", "step", "ms"}``."""
    data = await image.read(MAX_IMAGE_BYTES + 1)
    report = qr.scan_report(data)
    return JSONResponse({"payloads": report.payloads, "step": report.step, "ms": report.ms})
