"""The OKVED typeahead endpoint (JSON for the script; the wizard also renders results itself)."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from . import services

bp = Blueprint("refdata", __name__, url_prefix="/refdata")


@bp.get("/okved.json")
def okved_search():
    if not services.okved_loaded():
        return jsonify({"loaded": False, "results": [],
                        "message": "Классификатор ОКВЭД2 не загружен"})
    results = services.search_okved(request.args.get("q", ""), limit=20)
    return jsonify({"loaded": True, "results": [{"code": c.code, "name": c.name} for c in results]})
