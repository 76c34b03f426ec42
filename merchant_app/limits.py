"""Request size limits at the door, before any route reads a byte.

``BodyLimit`` (pure ASGI middleware) refuses a request whose body is over
``REQUEST_BODY_MAX_BYTES``: at once when ``Content-Length`` says so, and while streaming when a
chunked body grows past it (the client gets the 413 at once; the route sees the client gone,
never a truncated body). The answer is the
app's one error shape, ``{"error": "body_too_large", "message": ...}``. The largest legitimate body
is a photo for ``/api/v1/qr/scan`` (``qr.scan.MAX_IMAGE_BYTES``) plus multipart framing; a full
ledger batch of 8,000 transfers is about 2 MB of JSON.

Headers over ``REQUEST_HEADERS_MAX_BYTES`` get 431 here. uvicorn's h11 parser refuses an
incomplete head over 16 KiB, but a head that arrives whole in one socket read (100 KiB on
loopback did) reaches the app; this check answers it in the app's error shape.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from qr.scan import MAX_IMAGE_BYTES

MULTIPART_OVERHEAD_BYTES = 64 * 1024
REQUEST_BODY_MAX_BYTES = MAX_IMAGE_BYTES + MULTIPART_OVERHEAD_BYTES
REQUEST_HEADERS_MAX_BYTES = 16 * 1024  # all names and values together; h11's default bound


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int = REQUEST_BODY_MAX_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header_bytes = sum(len(n) + len(v) for n, v in scope.get("headers", []))
        if header_bytes > REQUEST_HEADERS_MAX_BYTES:
            await _answer(
                send,
                431,
                "headers_too_large",
                f"request headers of {header_bytes} bytes are over the "
                f"{REQUEST_HEADERS_MAX_BYTES} byte limit",
            )
            return
        declared = _content_length(scope)
        if declared is None or declared > self.max_bytes:
            await self._refuse(send, declared)
            return
        seen = 0
        answered = False

        async def counted_receive() -> Message:
            nonlocal seen, answered
            if answered:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    # Answer now; the route sees the client gone and whatever it sends is dropped.
                    answered = True
                    await self._refuse(send, seen)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            if not answered:
                await send(message)

        await self.app(scope, counted_receive, guarded_send)

    async def _refuse(self, send: Send, size: int | None) -> None:
        if size is None:
            await _answer(send, 400, "bad_content_length", "Content-Length is not a number")
            return
        message = f"request body of {size} bytes or more is over the {self.max_bytes} byte limit"
        await _answer(send, 413, "body_too_large", message)


async def _answer(send: Send, status: int, code: str, message: str) -> None:
    body = json.dumps({"error": code, "message": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _content_length(scope: Scope) -> int | None:
    """The declared length; 0 when absent (chunked or empty); None when malformed."""
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            if not text.isdigit():
                return None
            return int(text)
    return 0
