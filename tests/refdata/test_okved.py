"""OKVED2: importing the official Rosstat file, typeahead search and the choice rules."""

from __future__ import annotations

from sqlalchemy import func, select

from registry.extensions import db
from registry.refdata.models import OkvedCode
from registry.refdata.services import (
    get_okved,
    import_okved,
    normalize_search,
    okved_loaded,
    okved_problem,
    search_okved,
)

from ..conftest import _ConnectionSession

SECTIONS, CODES = 21, 2878  # the edition of 2023-12-01: 2,899 rows


def count_codes() -> int:
    return db.session.scalar(select(func.count()).select_from(OkvedCode))


def codes(results) -> list[str]:
    return [c.code for c in results]


def test_official_file_is_imported_with_sections_codes_and_parents(app, db_session, okved_file):
    with app.app_context():
        assert not okved_loaded()
        report = import_okved(okved_file)
        assert (report.sections, report.codes, report.errors) == (SECTIONS, CODES, [])
        assert okved_loaded()
        assert count_codes() == SECTIONS + CODES

        code = get_okved("32.12")
        assert (code.name, code.section, code.parent_code) == (
            "Производство ювелирных изделий и аналогичных изделий", "C", "32.1")
        assert code.selectable
        assert code.search_text == "32.12 производство ювелирных изделий и аналогичных изделий"
        assert get_okved("32.1").parent_code == "32"
        assert get_okved("32").parent_code == "C"
        assert get_okved("01.11.1").parent_code == "01.11"
        assert get_okved("25.99.11").parent_code == "25.99.1"
        section = get_okved("C")
        assert section.parent_code is None and section.name == "ОБРАБАТЫВАЮЩИЕ ПРОИЗВОДСТВА"
        assert not section.selectable and not get_okved("32.1").selectable
        assert get_okved(" 47.77 ").code == "47.77"
        assert get_okved("") is None and get_okved(None) is None and get_okved("99.99") is None


def test_importing_again_changes_nothing_and_updates_renamed_codes(app, db_session, okved_file, tmp_path):
    with app.app_context():
        import_okved(okved_file)
        before = {c.code: (c.name, c.section, c.parent_code, c.search_text)
                  for c in db.session.scalars(select(OkvedCode))}
        again = import_okved(okved_file)
        assert (again.sections, again.codes, again.errors) == (SECTIONS, CODES, [])
        assert {c.code: (c.name, c.section, c.parent_code, c.search_text)
                for c in db.session.scalars(select(OkvedCode))} == before

        # A later edition renames a code: the import updates it in place.
        text = okved_file.read_bytes().decode("cp1251").replace(
            '"C";"32.12";"Производство ювелирных изделий и аналогичных изделий"',
            '"C";"32.12";"Производство ювелирных изделий (новая редакция)"')
        edition = tmp_path / "okved-next.csv"
        edition.write_bytes(text.encode("cp1251"))
        import_okved(edition)
        assert count_codes() == SECTIONS + CODES
        assert get_okved("32.12").name == "Производство ювелирных изделий (новая редакция)"
        assert search_okved("новая редакция") and codes(search_okved("новая редакция")) == ["32.12"]


def test_broken_rows_are_reported_and_the_rest_imported(app, db_session, okved_file, tmp_path):
    broken = tmp_path / "okved-broken.csv"
    broken.write_bytes(okved_file.read_bytes() + (
        '"C";"32.1X";"Код с буквой"\r\n'
        '"C";"32.99.99"\r\n'
        '"Я";"32.98";"Раздел кириллицей"\r\n'
        '"C";"32.97";""\r\n'
        '\r\n'
        '"C";"32.99.98";"Последний правильный код"\r\n').encode("cp1251"))
    with app.app_context():
        report = import_okved(broken)
        assert report.errors == [
            "строка 2900: неверный код «32.1X»",
            "строка 2901: ожидалось 3 поля, получено 2",
            "строка 2902: неверный раздел «Я»",
            "строка 2903: нет наименования",
        ]
        assert (report.sections, report.codes) == (SECTIONS, CODES + 1)
        assert get_okved("32.99.98").name == "Последний правильный код"
        assert get_okved("32.1X") is None and get_okved("32.98") is None


def test_a_utf8_copy_is_read_as_utf8(app, db_session, tmp_path):
    copy = tmp_path / "okved-utf8.csv"
    copy.write_text('"C";" ";"ОБРАБАТЫВАЮЩИЕ ПРОИЗВОДСТВА"\n"C";"32.12";"Производство ювелирных изделий"\n',
                    encoding="utf-8-sig")
    with app.app_context():
        report = import_okved(copy)
        assert (report.sections, report.codes, report.errors) == (1, 1, [])
        assert get_okved("32.12").name == "Производство ювелирных изделий"


def test_search_by_code_prefix_returns_only_codes_of_four_digits_or_more(app, db_session, okved_file):
    with app.app_context():
        import_okved(okved_file)
        found = search_okved("32.1", limit=100)
        assert codes(found)[:3] == ["32.11", "32.12", "32.13"]
        assert "32.1" not in codes(found) and "32.12.1" in codes(found)
        assert all(c.code.startswith("32.1") and c.selectable for c in found)
        assert codes(found) == sorted(codes(found), key=lambda c: (len(c), c))
        assert codes(search_okved("32")[:2]) == ["32.11", "32.12"]
        assert codes(search_okved(" 47.77 ")) == ["47.77", "47.77.1", "47.77.2", "47.77.21", "47.77.22", "47.77.29"]
        assert len(search_okved("01", limit=5)) == 5
        assert search_okved("99.99") == []


def test_search_by_words_case_and_yo_insensitive(app, db_session, okved_file):
    with app.app_context():
        import_okved(okved_file)
        jewellery = codes(search_okved("ювелирн", limit=100))
        assert {"32.12", "46.48", "47.77"} <= set(jewellery)
        assert all(len(c) >= 5 for c in jewellery)
        assert codes(search_okved("ЮВЕЛИРН", limit=100)) == jewellery
        assert codes(search_okved("  Ювелирн  ", limit=100)) == jewellery
        # Every word must occur, in any order.
        assert codes(search_okved("часами розничная")) == ["47.77", "47.77.1"]
        assert codes(search_okved("торговля часами оптовая")) == ["46.48", "46.48.1"]
        # ё = е both ways: the classifier writes «емкостей», people type «ёмкостей».
        assert "23.13.1" in codes(search_okved("ёмкостей из стекла"))
        assert codes(search_okved("ЁМКОСТЕЙ ИЗ СТЕКЛА")) == codes(search_okved("емкостей из стекла"))
        # A code and a word together.
        assert codes(search_okved("47 ювелирн")) == ["47.77", "47.77.2", "47.77.21", "47.77.22", "47.77.29"]
        assert codes(search_okved("серебра 46.48")) == ["46.48.21"]
        # Sections and two- or three-digit groups are never offered: «01» alone has this word.
        assert search_okved("растениеводство и животноводство, охота") == []
        assert all(c.selectable for c in search_okved("производство", limit=100))
        assert len(search_okved("производство")) == 20


def test_search_ignores_empty_queries_and_like_wildcards(app, db_session, okved_file):
    with app.app_context():
        import_okved(okved_file)
        assert search_okved("") == [] and search_okved("   ") == [] and search_okved(None) == []
        assert search_okved("%") == [] and search_okved("_") == [] and search_okved("ювел%рн") == []


def test_search_before_import_finds_nothing(app, db_session):
    with app.app_context():
        assert search_okved("ювелирн") == [] and search_okved("32.12") == []


def test_okved_problem(app, db_session, okved_file):
    with app.app_context():
        assert okved_problem("32.12") == "Классификатор ОКВЭД2 не загружен: обратитесь к администратору реестра"
        import_okved(okved_file)
        assert okved_problem("32.12") is None
        assert okved_problem(" 32.12.1 ") is None
        assert okved_problem("32.1") == "Код «32.1» слишком общий: выберите код не короче четырёх цифр (XX.XX)"
        assert okved_problem("32") == "Код «32» слишком общий: выберите код не короче четырёх цифр (XX.XX)"
        assert okved_problem("C") == "Код «C» слишком общий: выберите код не короче четырёх цифр (XX.XX)"
        assert okved_problem("99.99") == "Кода «99.99» нет в классификаторе ОКВЭД2"
        assert okved_problem("32.12.99") == "Кода «32.12.99» нет в классификаторе ОКВЭД2"
        assert okved_problem("") == "Укажите код ОКВЭД2"
        assert okved_problem(None) == "Укажите код ОКВЭД2"


def test_normalize_search():
    assert normalize_search("  Ёлки   и\tПАЛКИ ") == "елки и палки"
    assert normalize_search(None) == ""


def test_search_sees_codes_written_after_it_was_first_used(app, db_session, okved_file, monkeypatch):
    from sqlalchemy import text

    from registry.refdata import services

    with app.app_context():
        import_okved(okved_file)
        assert codes(search_okved("ювелирн", limit=3)) == ["32.12", "46.48", "47.77"]
        # Through the ORM: seen at once.
        db.session.add(OkvedCode(code="32.12.9", name="Производство ювелирных новинок", section="C",
                                 parent_code="32.12", search_text="32.12.9 производство ювелирных новинок"))
        db.session.flush()
        assert codes(search_okved("новинок")) == ["32.12.9"]
        db.session.delete(get_okved("46.48"))
        db.session.flush()
        assert "46.48" not in codes(search_okved("ювелирн", limit=100))
        # Written behind its back (another process importing a new edition): seen once the
        # index is older than OKVED_INDEX_TTL.
        db.session.execute(text("INSERT INTO okved_codes (code, name, section, parent_code, search_text) "
                                "VALUES ('32.12.8', 'Огранка алмазов', 'C', '32.12', '32.12.8 огранка алмазов')"))
        assert search_okved("огранка") == []
        monkeypatch.setattr(services, "OKVED_INDEX_TTL", 0.0)
        assert [(c.code, c.name, c.parent_code) for c in search_okved("огранка")] == [
            ("32.12.8", "Огранка алмазов", "32.12")]
        assert okved_problem("32.12.8") is None


def test_search_forgets_codes_of_a_rolled_back_transaction(app, okved_file, monkeypatch):
    with app.app_context():
        connection = db.engine.connect()
        transaction = connection.begin()
        original = db.session
        # The session must really use that connection (Flask-SQLAlchemy's own session picks
        # an engine connection of its own otherwise).
        monkeypatch.setattr(db, "session", db._make_scoped_session(
            {"bind": connection, "class_": _ConnectionSession}))
        try:
            import_okved(okved_file)
            assert codes(search_okved("ювелирн", limit=1)) == ["32.12"]
        finally:
            db.session.remove()
            monkeypatch.setattr(db, "session", original)
            transaction.rollback()
            connection.close()
    with app.app_context():
        assert not okved_loaded() and search_okved("ювелирн") == []
        db.session.remove()
