"""ЕГРЮЛ/ЕГРИП import: the fields of a record, files, folders and archives, newer extracts winning,
broken records and files, the CLI, and local lookup."""

from __future__ import annotations

import zipfile
from datetime import date

import pytest
from sqlalchemy import func, select

from registry.extensions import db
from registry.identifiers import make_inn, make_ogrn, make_ogrnip
from registry.refdata import egrul
from registry.refdata.egrul import import_egrul
from registry.refdata.egrul_xml import synthetic_records, write_extract
from registry.refdata.models import EgrulRecord
from registry.refdata.services import Party, find_local, lookup_party

from .conftest import entrepreneur, legal_entity

FIELDS = ("kind", "ogrn", "inn", "kpp", "full_name", "short_name", "opf", "reg_date", "address",
          "status", "liquidated", "head", "okved", "branches", "flags", "extract_date", "source_file",
          "imported_at")
NO_FLAGS = {"unreliable_address": False, "unreliable_head": False, "disqualified_head": False}


def record(ogrn: str) -> EgrulRecord | None:
    return db.session.scalar(select(EgrulRecord).where(EgrulRecord.ogrn == ogrn))


def snapshot() -> dict[str, tuple]:
    return {r.ogrn: tuple(getattr(r, f) for f in FIELDS)
            for r in db.session.scalars(select(EgrulRecord).order_by(EgrulRecord.ogrn))}


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(EgrulRecord))


def write_xml(path, body: str, *, header: str = '<?xml version="1.0" encoding="windows-1251"?>\n') -> str:
    """Write hand-made XML in the extract's encoding; returns the path as a string."""
    path.write_bytes((header + body).encode("cp1251"))
    return str(path)


# -- fields ------------------------------------------------------------------------------------
def test_legal_entity_with_a_person_as_head(app, db_session, tmp_path):
    entity = legal_entity(
        1, okved_names={"32.12": "Производство ювелирных изделий и аналогичных изделий"},
        branches=[
            {"kind": "branch", "name": "Филиал ООО «ТЕСТ-1» в Санкт-Петербурге", "kpp": "781045001",
             "address": {"index": "191186", "region": "Санкт-Петербург", "region_code": "78",
                         "street": "Невский", "street_type": "пр-кт", "house": "10"}},
            {"kind": "representative", "name": "Представительство ООО «ТЕСТ-1» в Казани", "kpp": "165545001",
             "address": {"index": "420111", "region": "Татарстан", "region_type": "Респ",
                         "region_code": "16", "city": "Казань", "street": "Баумана", "house": "3"}},
        ])
    path = tmp_path / "egrul.xml"
    assert write_extract(path, [entity]) == 1
    with app.app_context():
        report = import_egrul([path])
        assert (report.files, report.read, report.inserted, report.updated, report.errors) == (1, 1, 1, 0, [])
        r = record(entity["ogrn"])
        assert (r.kind, r.inn, r.kpp) == ("ul", entity["inn"], "770101001")
        assert r.full_name == "ОБЩЕСТВО С ОГРАНИЧЕННОЙ ОТВЕТСТВЕННОСТЬЮ «ТЕСТ-1»"
        assert r.short_name == "ООО «ТЕСТ-1»"
        assert r.opf == "Общество с ограниченной ответственностью"
        assert r.reg_date == date(2011, 5, 17) and r.extract_date == date(2026, 1, 15)
        assert r.address == "125009, Москва, ул Тверская, д. 7, корп. 2, кв. 15"
        assert r.status == "Действующее" and r.liquidated is False
        assert r.head == {"kind": "person", "surname": "Соколов", "given": "Андрей", "patronymic": "Ильич",
                          "inn": entity["head"]["inn"], "title": "Генеральный директор", "date": "2018-02-20"}
        assert r.okved == {"main": "32.12", "additional": ["46.48", "47.77"]}
        assert r.branches == [
            {"kind": "branch", "name": "Филиал ООО «ТЕСТ-1» в Санкт-Петербурге", "kpp": "781045001",
             "address": "191186, Санкт-Петербург, пр-кт Невский, д. 10"},
            {"kind": "representative", "name": "Представительство ООО «ТЕСТ-1» в Казани", "kpp": "165545001",
             "address": "420111, Татарстан, г Казань, ул Баумана, д. 3"},
        ]
        assert r.flags == NO_FLAGS
        assert r.source_file == str(path)
        assert r.imported_at.tzinfo is not None


def test_unreliable_data_and_disqualification_flags(app, db_session, tmp_path):
    records = [legal_entity(1, flags={"unreliable_address": True}),
               legal_entity(2, flags={"unreliable_head": True, "disqualified_head": True}),
               legal_entity(3)]
    write_extract(tmp_path / "flags.xml", records)
    with app.app_context():
        import_egrul([tmp_path / "flags.xml"])
        assert record(records[0]["ogrn"]).flags == {**NO_FLAGS, "unreliable_address": True}
        assert record(records[1]["ogrn"]).flags == {**NO_FLAGS, "unreliable_head": True, "disqualified_head": True}
        assert record(records[2]["ogrn"]).flags == NO_FLAGS


def test_managing_organization_as_head_and_liquidation(app, db_session, tmp_path):
    manager = legal_entity(1)
    managed = legal_entity(2, status="Действующее", liquidated=True, head={
        "kind": "legal_entity", "full_name": manager["full_name"], "inn": manager["inn"], "ogrn": manager["ogrn"]})
    write_extract(tmp_path / "managed.xml", [manager, managed])
    with app.app_context():
        import_egrul([tmp_path / "managed.xml"])
        r = record(managed["ogrn"])
        assert r.head == {"kind": "legal_entity", "full_name": manager["full_name"], "inn": manager["inn"],
                          "ogrn": manager["ogrn"], "kpp": None}
        assert r.liquidated is True and r.status == "Ликвидировано"
        assert r.flags == NO_FLAGS


def test_entrepreneurs_from_egrip(app, db_session, tmp_path):
    active, closed = entrepreneur(1), entrepreneur(2, liquidated=True)
    write_extract(tmp_path / "egrip.xml", [active, closed], file_id="egrip")
    with app.app_context():
        report = import_egrul([tmp_path / "egrip.xml"])
        assert (report.inserted, report.errors) == (2, [])
        r = record(active["ogrn"])
        assert (r.kind, r.inn, r.kpp) == ("ip", active["inn"], None)
        assert r.full_name == "Индивидуальный предприниматель Фёдоров Пётр Ильич"
        assert r.short_name == "ИП Фёдоров Пётр Ильич"
        assert r.opf == "Индивидуальный предприниматель"
        assert r.reg_date == date(2004, 6, 1)
        assert r.status == "Действующий" and not r.liquidated
        assert r.head == {"kind": "person", "surname": "Фёдоров", "given": "Пётр", "patronymic": "Ильич",
                          "inn": active["inn"], "title": "Индивидуальный предприниматель", "date": "2004-06-01"}
        assert r.okved == {"main": "47.77", "additional": ["95.25"]}
        assert r.branches == [] and r.flags == NO_FLAGS
        gone = record(closed["ogrn"])
        assert gone.liquidated and gone.status == "Прекратил деятельность"


SCHEMA_LAYOUT = """<EGRUL ДатаВыг="2026-02-01">
<!-- records straight under the root, as in egrul.xsd -->
<СвЮЛ ДатаВып="2026-02-01" ОГРН="{ogrn}" ДатаОГРН="2003-01-09" СпрОПФ="ОКОПФ" КодОПФ="12267" ПолнНаимОПФ="Непубличное акционерное общество">
  <СвНаимЮЛ НаимЮЛПолн="АКЦИОНЕРНОЕ ОБЩЕСТВО &quot;СХЕМА&quot;" НаимЮЛСокр="АО &quot;СХЕМА&quot;">
    <ГРНДата ГРН="{ogrn}" ДатаЗаписи="2003-01-09"/>
  </СвНаимЮЛ>
  <СвАдресЮЛ>
    <АдресРФ Индекс="450000" КодРегион="02" Дом="ДОМ 5" Кварт="ОФИС 2">
      <Регион ТипРегион="РЕСПУБЛИКА" НаимРегион="БАШКОРТОСТАН"/>
      <Район ТипРайон="РАЙОН" НаимРайон="УФИМСКИЙ"/>
      <НаселПункт ТипНаселПункт="СЕЛО" НаимНаселПункт="ЗУБОВО"/>
      <Улица ТипУлица="УЛИЦА" НаимУлица="ЦЕНТРАЛЬНАЯ"/>
      <ГРНДата ГРН="{ogrn}" ДатаЗаписи="2003-01-09"/>
    </АдресРФ>
  </СвАдресЮЛ>
  <СвСтатус><СвСтатус КодСтатусЮЛ="701" НаимСтатусЮЛ="Находится в стадии ликвидации"/><ГРНДата ГРН="{ogrn}" ДатаЗаписи="2025-01-01"/></СвСтатус>
  <СвСтатус><СвСтатус КодСтатусЮЛ="105" НаимСтатусЮЛ="Регистрирующим органом принято решение о предстоящем исключении"/><ГРНДата ГРН="{ogrn}" ДатаЗаписи="2025-02-01"/></СвСтатус>
  <СвУчетНО ИНН="{inn}" КПП="024501001" ДатаПостУч="2003-01-09"><СвНО КодНО="0245" НаимНО="Межрайонная ИФНС"/></СвУчетНО>
  <СвУпрОрг>
    <ГРНДатаПерв ГРН="{ogrn}" ДатаЗаписи="2020-01-01"/>
    <НаимИННЮЛ ОГРН="{manager_ogrn}" ИНН="{manager_inn}" НаимЮЛПолн="ООО &quot;УПРАВЛЯЮЩАЯ КОМПАНИЯ&quot;"/>
    <СвНедДанУпрОрг ПризнНедДанУпрОрг="1" ТекстНедДанУпрОрг="сведения недостоверны"><ГРНДата ГРН="{ogrn}" ДатаЗаписи="2025-03-01"/></СвНедДанУпрОрг>
  </СвУпрОрг>
  <СвОКВЭД>
    <СвОКВЭДДоп КодОКВЭД="46.48" НаимОКВЭД="Торговля оптовая часами и ювелирными изделиями"/>
    <СвОКВЭДОсн КодОКВЭД="32.12" НаимОКВЭД="Производство ювелирных изделий и аналогичных изделий" ПрВерсОКВЭД="2014"/>
  </СвОКВЭД>
  <СвПодразд>
    <СвФилиал>
      <СвНаим НаимПолн="ФИЛИАЛ В РЕСПУБЛИКЕ КАЗАХСТАН"><ГРНДата ГРН="{ogrn}" ДатаЗаписи="2010-01-01"/></СвНаим>
      <АдрМНИн ОКСМ="398" НаимСтран="КАЗАХСТАН" АдрИн="АЛМАТЫ, ПР. АБАЯ, 1"><ГРНДата ГРН="{ogrn}" ДатаЗаписи="2010-01-01"/></АдрМНИн>
    </СвФилиал>
  </СвПодразд>
  <СвЗапЕГРЮЛ ИдЗап="1" ГРН="{ogrn}" ДатаЗап="2003-01-09"><ВидЗап КодСПВЗ="11201" НаимВидЗап="Создание"/><СвРегОрг КодНО="0245" НаимНО="ИФНС"/></СвЗапЕГРЮЛ>
</СвЮЛ>
</EGRUL>
"""


def test_extract_in_the_layout_of_the_schema(app, db_session, tmp_path):
    """Short name as an attribute, ИНН/КПП only in СвУчетНО, a managing company with unreliable
    data, several statuses, a branch abroad, records directly under the root."""
    ids = {"ogrn": make_ogrn("102020000001"), "inn": make_inn("024500001"),
           "manager_ogrn": make_ogrn("102770000009"), "manager_inn": make_inn("770100009")}
    path = write_xml(tmp_path / "schema.xml", SCHEMA_LAYOUT.format(**ids))
    with app.app_context():
        report = import_egrul([path])
        assert (report.read, report.inserted, report.errors) == (1, 1, [])
        r = record(ids["ogrn"])
        assert (r.inn, r.kpp) == (ids["inn"], "024501001")
        assert (r.full_name, r.short_name) == ('АКЦИОНЕРНОЕ ОБЩЕСТВО "СХЕМА"', 'АО "СХЕМА"')
        assert r.opf == "Непубличное акционерное общество"
        assert r.address == "450000, БАШКОРТОСТАН, РАЙОН УФИМСКИЙ, СЕЛО ЗУБОВО, УЛИЦА ЦЕНТРАЛЬНАЯ, д. ДОМ 5, кв. ОФИС 2"
        assert r.status == "Находится в стадии ликвидации" and not r.liquidated
        assert r.head == {"kind": "legal_entity", "full_name": 'ООО "УПРАВЛЯЮЩАЯ КОМПАНИЯ"',
                          "inn": ids["manager_inn"], "ogrn": ids["manager_ogrn"], "kpp": None}
        assert r.flags == {**NO_FLAGS, "unreliable_head": True}
        assert r.okved == {"main": "32.12", "additional": ["46.48"]}
        assert r.branches == [{"kind": "branch", "name": "ФИЛИАЛ В РЕСПУБЛИКЕ КАЗАХСТАН", "kpp": None,
                               "address": "КАЗАХСТАН, АЛМАТЫ, ПР. АБАЯ, 1"}]


def test_record_without_optional_parts(app, db_session, tmp_path):
    ogrn = make_ogrn("102770000011")
    path = write_xml(tmp_path / "bare.xml", f"""<Файл><Документ>
<СвЮЛ ДатаВып="2026-01-15" ОГРН="{ogrn}" ДатаОГРН="2010-01-01"><СвНаимЮЛ НаимЮЛПолн="ТОВАРИЩЕСТВО"/></СвЮЛ>
</Документ></Файл>""")
    with app.app_context():
        assert import_egrul([path]).errors == []
        r = record(ogrn)
        assert (r.inn, r.kpp, r.short_name, r.opf, r.address, r.status, r.head) == (None,) * 7
        assert r.okved == {"main": None, "additional": []} and r.branches == [] and r.flags == NO_FLAGS


# -- idempotency and newer extracts ------------------------------------------------------------
def test_importing_the_same_extract_again_changes_nothing(app, db_session, tmp_path):
    records = [legal_entity(n) for n in range(1, 6)] + [entrepreneur(1)]
    write_extract(tmp_path / "egrul.xml", records)
    with app.app_context():
        first = import_egrul([tmp_path / "egrul.xml"])
        assert (first.inserted, first.updated, first.unchanged) == (6, 0, 0)
        before = snapshot()
        again = import_egrul([tmp_path / "egrul.xml"])
        assert (again.read, again.inserted, again.updated, again.unchanged, again.skipped_older, again.errors) == (
            6, 0, 0, 6, 0, [])
        assert snapshot() == before
        assert "без изменений: 6" in again.summary()


def test_newer_extract_replaces_older_and_older_does_not_replace_newer(app, db_session, tmp_path):
    old = legal_entity(1, extract_date=date(2025, 6, 1))
    new = legal_entity(1, extract_date=date(2026, 1, 15), full_name="ОБЩЕСТВО С ОГРАНИЧЕННОЙ ОТВЕТСТВЕННОСТЬЮ «НОВОЕ ИМЯ»",
                       okved={"main": "47.77", "additional": []}, flags={"unreliable_address": True})
    write_extract(tmp_path / "old.xml", [old])
    write_extract(tmp_path / "new.xml", [new])
    with app.app_context():
        import_egrul([tmp_path / "old.xml"])
        assert record(old["ogrn"]).full_name == old["full_name"]
        report = import_egrul([tmp_path / "new.xml"])
        assert (report.inserted, report.updated) == (0, 1)
        r = record(old["ogrn"])
        assert (r.full_name, r.extract_date, r.okved["main"], r.flags["unreliable_address"]) == (
            new["full_name"], date(2026, 1, 15), "47.77", True)
        assert r.source_file == str(tmp_path / "new.xml")

        report = import_egrul([tmp_path / "old.xml"])
        assert (report.inserted, report.updated, report.skipped_older) == (0, 0, 1)
        assert record(old["ogrn"]).full_name == new["full_name"]
        assert count() == 1


def test_a_correction_of_the_same_date_replaces_the_record(app, db_session, tmp_path):
    first = legal_entity(1)
    corrected = legal_entity(1, short_name="ООО «ТЕСТ-1 ИСПРАВЛЕНО»")
    write_extract(tmp_path / "a.xml", [first])
    write_extract(tmp_path / "b.xml", [corrected])
    with app.app_context():
        import_egrul([tmp_path / "a.xml"])
        report = import_egrul([tmp_path / "b.xml"])
        assert (report.updated, report.unchanged) == (1, 0)
        assert record(first["ogrn"]).short_name == "ООО «ТЕСТ-1 ИСПРАВЛЕНО»"


def test_newest_of_several_versions_in_one_import_wins(app, db_session, tmp_path):
    versions = [legal_entity(1, extract_date=date(2025, m, 1), short_name=f"ООО «ВЕРСИЯ {m}»") for m in (3, 9, 5)]
    write_extract(tmp_path / "one.xml", versions[:2])
    write_extract(tmp_path / "two.xml", versions[2:])
    with app.app_context():
        report = import_egrul([tmp_path / "one.xml", tmp_path / "two.xml"])
        assert (report.read, report.inserted, report.skipped_older) == (3, 1, 2)
        assert record(versions[0]["ogrn"]).short_name == "ООО «ВЕРСИЯ 9»"


# -- files, folders, archives, broken input ----------------------------------------------------
def test_folders_and_zip_archives(app, db_session, tmp_path):
    folder = tmp_path / "extracts"
    (folder / "2026" / "01").mkdir(parents=True)
    write_extract(folder / "a.xml", [legal_entity(1), legal_entity(2)])
    write_extract(folder / "2026" / "01" / "b.XML", [legal_entity(3)])
    (folder / "readme.txt").write_text("not an extract")
    inner = tmp_path / "inner"
    inner.mkdir()
    write_extract(inner / "c.xml", [legal_entity(4), entrepreneur(1)])
    write_extract(inner / "d.xml", [legal_entity(5)])
    with zipfile.ZipFile(folder / "2026" / "egrul.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(inner / "c.xml", "c.xml")
        archive.write(inner / "d.xml", "sub/d.xml")
        archive.writestr("manifest.json", "{}")
    with app.app_context():
        report = import_egrul([folder])
        assert (report.files, report.read, report.inserted, report.errors) == (4, 6, 6, [])
        assert record(legal_entity(3)["ogrn"]).source_file == str(folder / "2026" / "01" / "b.XML")
        assert record(legal_entity(4)["ogrn"]).source_file == f"{folder / '2026' / 'egrul.zip'}!c.xml"
        assert record(legal_entity(5)["ogrn"]).source_file == f"{folder / '2026' / 'egrul.zip'}!sub/d.xml"
        assert record(entrepreneur(1)["ogrn"]).kind == "ip"

        # An archive given by name, alone.
        again = import_egrul([folder / "2026" / "egrul.zip"])
        assert (again.files, again.read, again.unchanged) == (2, 3, 3)


def test_broken_records_are_reported_with_file_and_line_and_the_rest_imported(app, db_session, tmp_path):
    good = [legal_entity(n) for n in (1, 2, 3)]
    bad_ogrn = make_ogrn("102770000012")[:-1] + str((int(make_ogrn("102770000012")[-1]) + 1) % 10)
    ip_ogrn = make_ogrnip("30477000000077")
    lines = [
        "<Файл ИдФайл=\"broken\">",
        f"<Документ>{egrul_xml_of(good[0])}</Документ>",
        f'<Документ><СвЮЛ ДатаВып="2026-01-15" ОГРН="{bad_ogrn}" ДатаОГРН="2010-01-01"><СвНаимЮЛ НаимЮЛПолн="А"/></СвЮЛ></Документ>',
        f"<Документ>{egrul_xml_of(good[1])}</Документ>",
        '<Документ><СвЮЛ ДатаВып="2026-01-15" ДатаОГРН="2010-01-01"><СвНаимЮЛ НаимЮЛПолн="Б"/></СвЮЛ></Документ>',
        f'<Документ><СвЮЛ ДатаВып="2026-01-15" ОГРН="{make_ogrn("102770000013")}" ИНН="7707083894"><СвНаимЮЛ НаимЮЛПолн="В"/></СвЮЛ></Документ>',
        f'<Документ><СвЮЛ ДатаВып="2026-01-15" ОГРН="{make_ogrn("102770000014")}"><СвНаимЮЛ/></СвЮЛ></Документ>',
        f'<Документ><СвЮЛ ДатаВып="15.01.2026" ОГРН="{make_ogrn("102770000015")}"><СвНаимЮЛ НаимЮЛПолн="Г"/></СвЮЛ></Документ>',
        f'<Документ><СвЮЛ ОГРН="{make_ogrn("102770000016")}"><СвНаимЮЛ НаимЮЛПолн="Д"/></СвЮЛ></Документ>',
        f'<Документ><СвИП ДатаВып="2026-01-15" ОГРНИП="{ip_ogrn}"><СвФЛ/></СвИП></Документ>',
        f'<Документ><СвИП ДатаВып="2026-01-15" ОГРНИП="{ip_ogrn}" ИННФЛ="500100732258"><СвФЛ><ФИОРус Фамилия="Е"/></СвФЛ></СвИП></Документ>',
        f"<Документ>{egrul_xml_of(good[2])}</Документ>",
        "</Файл>",
    ]
    path = write_xml(tmp_path / "broken.xml", "\n".join(lines) + "\n")
    with app.app_context():
        report = import_egrul([path])
        assert report.errors == [
            f"{path}, строка 4: ОГРН «{bad_ogrn}»: Неверное контрольное число ОГРН — проверьте, нет ли опечатки",
            f"{path}, строка 6: ОГРН «»: ОГРН должен состоять из 13 цифр",
            f"{path}, строка 7: ИНН «7707083894»: Неверное контрольное число ИНН — проверьте, нет ли опечатки",
            f"{path}, строка 8: нет полного наименования (СвНаимЮЛ/@НаимЮЛПолн)",
            f"{path}, строка 9: неверная дата «15.01.2026»",
            f"{path}, строка 10: нет даты выписки (@ДатаВып)",
            f"{path}, строка 11: нет ФИО предпринимателя (СвФЛ/ФИОРус)",
            f"{path}, строка 12: ИНН «500100732258»: Неверное контрольное число ИНН — проверьте, нет ли опечатки",
        ]
        assert (report.read, report.inserted) == (11, 3)
        assert {r for r in snapshot()} == {g["ogrn"] for g in good}


def egrul_xml_of(r: dict) -> str:
    from registry.refdata.egrul_xml import legal_entity_xml
    return legal_entity_xml(r)


def test_truncated_file_is_reported_and_records_before_the_damage_kept(app, db_session, tmp_path):
    path = tmp_path / "truncated.xml"
    write_extract(path, [legal_entity(n) for n in range(1, 5)])
    data = path.read_bytes()
    cut = data.index("<Документ".encode("cp1251"), data.index(legal_entity(3)["ogrn"].encode()) - 400)
    path.write_bytes(data[:cut + 200])  # record 3 stops mid-way; record 4 is gone
    garbage = tmp_path / "garbage.xml"
    garbage.write_bytes(b"\x00\x01 this is not XML")
    with app.app_context():
        report = import_egrul([path, garbage])
        assert (report.files, report.read, report.inserted) == (2, 2, 2)
        assert len(report.errors) == 2
        assert report.errors[0].startswith(f"{path}, строка 5: файл повреждён (")
        assert report.errors[0].endswith("); записи до этого места импортированы")
        assert report.errors[1].startswith(f"{garbage}, строка 1: файл повреждён (")
        assert set(snapshot()) == {legal_entity(1)["ogrn"], legal_entity(2)["ogrn"]}


def test_unreadable_archives_and_files_are_reported(app, db_session, tmp_path):
    fake = tmp_path / "fake.zip"
    fake.write_bytes(b"PK\x03\x04 definitely not a zip archive")
    write_extract(tmp_path / "good.xml", [legal_entity(1)])
    missing = tmp_path / "missing.xml"
    with app.app_context():
        report = import_egrul([fake, tmp_path / "good.xml", missing])
        assert report.inserted == 1 and report.files == 3
        assert report.errors[0].startswith(f"{fake}: не удалось прочитать (")
        assert report.errors[1].startswith(f"{missing}: не удалось прочитать (")


def test_many_records_in_several_batches(app, db_session, tmp_path, monkeypatch):
    monkeypatch.setattr(egrul, "BATCH", 700)
    write_extract(tmp_path / "part1.xml", synthetic_records(2000))
    write_extract(tmp_path / "part2.xml", synthetic_records(1500, start=2000))
    progress = []
    monkeypatch.setattr(egrul, "PROGRESS_EVERY", 1000)
    with app.app_context():
        report = import_egrul([tmp_path], echo=progress.append)
        assert (report.files, report.read, report.inserted, report.errors) == (2, 3500, 3500, [])
        assert count() == 3500
        assert progress and all(line.startswith("  … ") for line in progress)
        sample = list(synthetic_records(1500, start=2000))[999]
        r = find_local(sample["inn"])
        assert (r.ogrn, r.full_name, r.head["surname"]) == (sample["ogrn"], sample["full_name"],
                                                            sample["head"]["surname"])
        newer = synthetic_records(1200, start=1000, extract_date=date(2026, 2, 1))
        write_extract(tmp_path / "part3.xml", newer)
        report = import_egrul([tmp_path / "part3.xml"])
        assert (report.inserted, report.updated) == (0, 1200)
        assert count() == 3500


def test_large_inputs_are_parsed_by_a_child_process(app, db_session, tmp_path, monkeypatch):
    monkeypatch.setattr(egrul, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(egrul, "_cpus", lambda: 2)
    monkeypatch.setattr(egrul, "CHUNK", 100)
    started = []
    real_popen = egrul.subprocess.Popen
    monkeypatch.setattr(egrul.subprocess, "Popen", lambda *a, **k: started.append(a) or real_popen(*a, **k))
    write_extract(tmp_path / "a.xml", synthetic_records(1200))
    write_extract(tmp_path / "b.xml", [legal_entity(1), entrepreneur(1)])
    broken = write_xml(tmp_path / "c.xml", '<Файл><Документ><СвЮЛ ДатаВып="2026-01-15" ОГРН="1"/></Документ>')
    with app.app_context():
        report = import_egrul([tmp_path])
        assert len(started) == 1
        assert (report.files, report.read, report.inserted) == (3, 1203, 1202)
        assert report.errors[0] == f"{broken}, строка 2: ОГРН «1»: ОГРН должен состоять из 13 цифр"
        assert report.errors[1].startswith(f"{broken}, строка 2: файл повреждён (")
        r = record(legal_entity(1)["ogrn"])
        assert (r.short_name, r.head["surname"], r.reg_date, r.source_file) == (
            "ООО «ТЕСТ-1»", "Соколов", date(2011, 5, 17), str(tmp_path / "b.xml"))
        assert record(entrepreneur(1)["ogrn"]).kind == "ip"
        again = import_egrul([tmp_path])
        assert (again.inserted, again.updated, again.unchanged) == (0, 0, 1202)
        assert len(started) == 2


def test_a_parser_process_that_dies_stops_the_import(app, db_session, tmp_path, monkeypatch):
    monkeypatch.setattr(egrul, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(egrul, "_cpus", lambda: 2)
    monkeypatch.setattr(egrul, "_CHILD_ENTRY", "import sys; sys.stderr.write('out of memory'); sys.exit(3)")
    write_extract(tmp_path / "a.xml", [legal_entity(1)])
    with app.app_context(), pytest.raises(RuntimeError, match=r"stopped \(exit code 3\): out of memory"):
        import_egrul([tmp_path / "a.xml"])


def test_a_database_failure_stops_the_import(app, db_session, tmp_path, monkeypatch):
    def fail(self, batch):
        raise RuntimeError("disk full")
    monkeypatch.setattr(egrul._Writer, "write", fail)
    write_extract(tmp_path / "a.xml", [legal_entity(1)])
    with app.app_context(), pytest.raises(RuntimeError, match="disk full"):
        import_egrul([tmp_path / "a.xml"])


def test_records_read_are_freed_as_the_import_goes(tmp_path):
    """The tree iterparse builds keeps nothing but the record at hand (streaming memory)."""
    from lxml import etree

    write_extract(tmp_path / "a.xml", synthetic_records(300))
    before = []  # documents still held before the one at hand (the parser reads ahead of it)
    for _event, el in etree.iterparse(str(tmp_path / "a.xml"), tag="СвЮЛ"):
        document = el.getparent()
        before.append(document.getparent().index(document))
        egrul._release(el)
        assert len(el) == 0 and not el.attrib
    assert len(before) == 300 and max(before) <= 1


def test_demo_extract_imports_cleanly(app, db_session, tmp_path, demo_pki):
    from registry.pki.demo_pki import ENTREPRENEUR_OGRNIP, ORGANIZATION, PEOPLE
    from registry.refdata.demo_data import demo_records

    write_extract(tmp_path / "demo.xml", demo_records())
    with app.app_context():
        report = import_egrul([tmp_path / "demo.xml"])
        assert (report.inserted, report.errors) == (4, [])
        org = record(ORGANIZATION["ogrn"])
        assert org.head["inn"] == PEOPLE["head"]["inn"] == demo_pki.person("head", "ecdsa").certificate.personal_inn
        assert org.branches[0]["address"] == "191186, Санкт-Петербург, пр-кт Невский, д. 10"
        assert record(ENTREPRENEUR_OGRNIP).inn == PEOPLE["ip"]["inn"]
        flagged = [r for r in db.session.scalars(select(EgrulRecord)) if any((r.flags or {}).values())]
        assert [r.flags for r in flagged] == [{**NO_FLAGS, "unreliable_address": True, "disqualified_head": True}]
        assert [r.short_name for r in db.session.scalars(select(EgrulRecord).where(EgrulRecord.liquidated))] == [
            "ООО «ВЕКТОР»"]


# -- local lookup ------------------------------------------------------------------------------
def test_local_lookup_by_ogrn_ogrnip_and_inn(app, db_session, tmp_path):
    active = legal_entity(1)
    ip = entrepreneur(1)
    # An earlier legal entity with the same ИНН, liquidated: the active one is found by ИНН.
    liquidated = legal_entity(2, inn=active["inn"], liquidated=True, extract_date=date(2026, 3, 1))
    write_extract(tmp_path / "a.xml", [liquidated, active, ip])
    with app.app_context():
        import_egrul([tmp_path / "a.xml"])
        assert find_local(active["ogrn"]).ogrn == active["ogrn"]
        assert find_local(liquidated["ogrn"]).liquidated
        assert find_local(active["inn"]).ogrn == active["ogrn"]
        assert find_local(ip["ogrn"]).kind == "ip"
        assert find_local(ip["inn"]).ogrn == ip["ogrn"]
        assert find_local(make_inn("770999999")) is None

        result = lookup_party(f" {active['ogrn'][:4]} {active['ogrn'][4:]} ")
        assert (result.source, result.error) == ("egrul_local", None)
        party = result.party
        assert isinstance(party, Party) and party.confirmed and party.source == "egrul_local"
        assert (party.kind, party.inn, party.kpp, party.short_name) == ("ul", active["inn"], "770101001",
                                                                        "ООО «ТЕСТ-1»")
        assert party.reg_date == date(2011, 5, 17) and party.extract_date == date(2026, 1, 15)
        assert party.okved == {"main": "32.12", "additional": ["46.48", "47.77"]}
        assert Party.from_dict(party.to_dict()) == party
        assert party.to_dict()["reg_date"] == "2011-05-17"


def test_lookup_refuses_what_is_not_an_identifier(app, db_session):
    with app.app_context():
        for query, message in [
            ("", "Введите ОГРН (13 цифр), ОГРНИП (15 цифр) или ИНН (10 или 12 цифр)"),
            ("РОМАШКА", "Введите ОГРН (13 цифр), ОГРНИП (15 цифр) или ИНН (10 или 12 цифр)"),
            ("12345", "Введите ОГРН (13 цифр), ОГРНИП (15 цифр) или ИНН (10 или 12 цифр)"),
            ("²²²²²²²²²²", "Введите ОГРН (13 цифр), ОГРНИП (15 цифр) или ИНН (10 или 12 цифр)"),
            ("7707083894", "Неверное контрольное число ИНН — проверьте, нет ли опечатки"),
            ("1027700132196", "Неверное контрольное число ОГРН — проверьте, нет ли опечатки"),
            ("304500116000158", "Неверное контрольное число ОГРНИП — проверьте, нет ли опечатки"),
        ]:
            result = lookup_party(query)
            assert (result.party, result.source, result.error) == (None, None, message), query
        # A valid identifier that nobody knows, with no provider configured: manual entry.
        result = lookup_party("7707083893")
        assert (result.party, result.source, result.error) == (None, None, None)


# -- the CLI -----------------------------------------------------------------------------------
def test_cli_imports_extracts_and_reports_errors(app, db_session, tmp_path):
    write_extract(tmp_path / "good.xml", [legal_entity(1), entrepreneur(1)])
    bad = write_xml(tmp_path / "bad.xml", '<Файл><Документ><СвЮЛ ДатаВып="2026-01-15" ОГРН="1"/></Документ></Файл>')
    runner = app.test_cli_runner()
    result = runner.invoke(args=["egrul", "import", "--quiet", str(tmp_path / "good.xml"), bad])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "файлов: 2, записей: 3, добавлено: 2, обновлено: 0, без изменений: 0, "
        "пропущено устаревших: 0, ошибок: 1"]
    assert result.stderr.splitlines() == [f"  {bad}, строка 2: ОГРН «1»: ОГРН должен состоять из 13 цифр"]
    with app.app_context():
        assert record(legal_entity(1)["ogrn"]) is not None and record(entrepreneur(1)["ogrn"]) is not None

    again = runner.invoke(args=["egrul", "import", str(tmp_path / "good.xml")])
    assert again.exit_code == 0 and "без изменений: 2" in again.stdout

    missing = runner.invoke(args=["egrul", "import", str(tmp_path / "nope.xml")])
    assert missing.exit_code == 2 and "does not exist" in missing.output


def test_cli_imports_okved(app, db_session, okved_file, tmp_path):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["refdata", "import-okved", str(okved_file)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "ОКВЭД2: разделов 21, кодов 2878, ошибок 0"
    junk = tmp_path / "junk.csv"
    junk.write_text("a;b\n", encoding="cp1251")
    result = runner.invoke(args=["refdata", "import-okved", str(junk)])
    assert result.exit_code == 1
    assert result.stderr.strip() == "строка 1: ожидалось 3 поля, получено 2"
