"""Reference data: the OKVED2 classifier and ЕГРЮЛ/ЕГРИП records."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import UTCDateTime, db, utcnow


class OkvedCode(db.Model):
    """One code of ОК 029-2014 (КДЕС Ред. 2); section rows have a letter code (``A``)."""

    __tablename__ = "okved_codes"

    code: Mapped[str] = mapped_column(String(10), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    section: Mapped[str] = mapped_column(String(1))
    parent_code: Mapped[str | None] = mapped_column(String(10))
    # Lower case, ё → е, single spaces: what typeahead queries are matched against.
    search_text: Mapped[str] = mapped_column(Text)

    @property
    def selectable(self) -> bool:
        """Codes of at least four digits (XX.XX) may be chosen for an organization."""
        return sum(ch.isdigit() for ch in self.code) >= 4

    def __repr__(self) -> str:
        return f"<OkvedCode {self.code}>"


class EgrulRecord(db.Model):
    """The latest known state of one legal entity (ЕГРЮЛ) or entrepreneur (ЕГРИП)."""

    __tablename__ = "egrul_records"
    __table_args__ = (Index("ix_egrul_records_inn", "inn"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(2))  # "ul" or "ip"
    ogrn: Mapped[str] = mapped_column(String(15), unique=True)
    inn: Mapped[str | None] = mapped_column(String(12))
    kpp: Mapped[str | None] = mapped_column(String(9))
    full_name: Mapped[str] = mapped_column(Text)
    short_name: Mapped[str | None] = mapped_column(Text)
    opf: Mapped[str | None] = mapped_column(Text)
    reg_date: Mapped[date | None] = mapped_column(Date)
    address: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str | None] = mapped_column(Text)
    # The СЮЛСТ code of ``СвСтатус`` (egrul.xsd): 101 liquidation, 121–199 reorganization, ...
    status_code: Mapped[str | None] = mapped_column(String(3))
    liquidated: Mapped[bool] = mapped_column(Boolean, default=False)
    head: Mapped[dict | None] = mapped_column(JSON)
    okved: Mapped[dict | None] = mapped_column(JSON)
    branches: Mapped[list | None] = mapped_column(JSON)
    flags: Mapped[dict | None] = mapped_column(JSON)
    extract_date: Mapped[date] = mapped_column(Date)
    source_file: Mapped[str | None] = mapped_column(Text)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<EgrulRecord {self.kind} {self.ogrn}>"
