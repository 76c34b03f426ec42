"""The page tests' site: the real app on a database, a client factory, a manual clock."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from merchant_app.clock import ManualClock
from merchant_app.users import Role, User, create_user

START = datetime(2026, 11, 29, 7, 0, tzinfo=UTC)
PASSWORD = "mat-khau-an-toan"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Site:
    app: FastAPI
    engine: Engine
    clock: ManualClock
    data_dir: Path

    def client(self) -> TestClient:
        return TestClient(self.app, follow_redirects=False)

    def add_user(self, phone: str, role: Role, vendor_id: int | None = None) -> User:
        with Session(self.engine) as session, session.begin():
            return create_user(
                session,
                phone=phone,
                password=PASSWORD,
                role=role,
                display_name=f"Người dùng {phone[-4:]}",
                now=self.clock.now(),
                vendor_id=vendor_id,
            )


def csrf_of(html: str) -> str:
    match = _CSRF.search(html)
    assert match is not None, "page has no CSRF field"
    return match.group(1)


def login(client: TestClient, phone: str, password: str = PASSWORD) -> None:
    token = csrf_of(client.get("/login").text)
    response = client.post(
        "/login", data={"phone": phone, "password": password, "csrf_token": token}
    )
    assert response.status_code == 303, response.text
