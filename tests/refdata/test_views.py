"""The OKVED typeahead endpoint ``/refdata/okved.json``."""

from __future__ import annotations

from registry.extensions import db
from registry.refdata.services import import_okved


def test_okved_json_before_and_after_import(app, client, demo_pki, okved_file):
    client.certificate = demo_pki.person("head", "ecdsa").pem
    response = client.get("/refdata/okved.json?q=ювелирн")
    assert response.status_code == 200
    assert response.json == {"loaded": False, "results": [], "message": "Классификатор ОКВЭД2 не загружен"}

    with app.app_context():
        import_okved(okved_file)
        db.session.commit()

    found = client.get("/refdata/okved.json", query_string={"q": "ЮВЕЛИРН"}).json
    assert found["loaded"] is True
    codes = [r["code"] for r in found["results"]]
    assert len(codes) == 20 and codes[:2] == ["32.12", "46.48"]
    assert found["results"][0] == {"code": "32.12", "name": "Производство ювелирных изделий и аналогичных изделий"}

    by_code = client.get("/refdata/okved.json?q=47.77").json["results"]
    assert [r["code"] for r in by_code][:2] == ["47.77", "47.77.1"]
    assert client.get("/refdata/okved.json?q=%D1%91%D0%BC%D0%BA%D0%BE%D1%81%D1%82%D0%B5%D0%B9").json["results"]
    assert client.get("/refdata/okved.json").json == {"loaded": True, "results": []}
    assert client.get("/refdata/okved.json?q=32.1").json["results"][0]["code"] == "32.11"


def test_okved_json_needs_a_signed_in_person(client):
    response = client.get("/refdata/okved.json?q=32")
    assert response.status_code == 403 and not response.is_json
    assert "сертификат" in response.text
