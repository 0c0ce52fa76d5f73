"""The shape of the package: no import cycles between its parts, and layers that only point
down. Built from the source (every module parsed, relative imports resolved, imports inside
functions included; imports only for type checkers left out), so it names the offending line.

    identifiers ← pki ← trust, config, extensions ← core ← auth ← domains ← web ← app, cli, demo

Inside a domain's services package the modules are ordered too (SERVICE_PACKAGES).

Domains may use each other's models and services (never views or forms of another domain),
as long as that makes no cycle. Inside ``registry.pki.validation`` the modules are layered
too (``VALIDATION_LAYERS`` below), and only its ``cache`` and ``ocsp`` hold state.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "registry"

LAYERS = [
    {"identifiers", "text"},
    {"pki"},
    {"trust", "config", "extensions"},
    {"core", "exports", "jobs"},
    {"auth"},
    {"refdata", "organizations", "members", "documents", "exchange", "operator", "notices", "mchd", "register",
     "indexes"},
    {"web", "metrics"},
    {"app", "cli", "demo", "registry"},
]
LAYER = {part: n for n, parts in enumerate(LAYERS) for part in parts}
DOMAINS = {"refdata", "organizations", "members", "documents", "exchange", "operator", "notices", "mchd",
           "register"}

# Imports known to break the rules, each to be removed by moving code (the background jobs
# and metrics arrived calling into the documents domain and the web shell, and back). The
# tests fail on any other violation, and on an entry here that no longer happens.
KNOWN_UPWARD: set[tuple[str, str]] = set()
KNOWN_CYCLES: set[frozenset[str]] = set()


def _module_name(path: Path) -> str:
    parts = ["registry", *path.relative_to(ROOT).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in ROOT.rglob("*.py")}


def part_of(module: str) -> str:
    pieces = module.split(".")
    return pieces[1] if len(pieces) > 1 else "registry"


def _known(name: str) -> str | None:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _type_checking_only(tree: ast.AST) -> set[int]:
    """ids of import nodes under ``if TYPE_CHECKING:``."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip |= {id(n) for n in ast.walk(node) if isinstance(n, ast.Import | ast.ImportFrom)}
    return skip


@lru_cache(maxsize=1)
def imports() -> tuple[tuple[str, str, int], ...]:
    """(importing module, imported module, line) for every import of a registry module
    (parsed once per run)."""
    found = []
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = _type_checking_only(tree)
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for node in ast.walk(tree):
            if id(node) in skip:
                continue
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[:len(package.split(".")) - node.level + 1]
                    source = ".".join(base + ([node.module] if node.module else []))
                else:
                    source = node.module or ""
                # ``from x import y``: y may be a module of its own, else it is a name in x
                targets = [f"{source}.{a.name}" if f"{source}.{a.name}" in MODULES else source
                           for a in node.names]
            else:
                continue
            for target in targets:
                if target == "registry" or target.startswith("registry."):
                    resolved = _known(target)
                    if resolved is not None and resolved != module:
                        found.append((module, resolved, node.lineno))
    return tuple(found)


def _where(module: str, line: int) -> str:
    return f"{MODULES[module].relative_to(ROOT.parent)}:{line}"


def test_the_graph_sees_the_imports():
    edges = {(part_of(a), part_of(b)) for a, b, _ in imports()}
    assert ("members", "organizations") in edges  # models of a lower domain
    assert ("auth", "pki") in edges
    assert ("web", "auth") in edges  # a function-level import counts too
    assert set(LAYER) >= {part_of(m) for m in MODULES}, "a new part of registry/ needs a layer here"


def test_layers_only_point_down():
    found = [(a, b, line) for a, b, line in imports()
             if part_of(a) != part_of(b) and LAYER[part_of(b)] > LAYER[part_of(a)]]
    upward = [f"{_where(a, line)}: {part_of(a)} imports {b} ({part_of(b)} is above it)"
              for a, b, line in found if (a, b) not in KNOWN_UPWARD]
    assert upward == []
    assert KNOWN_UPWARD <= {(a, b) for a, b, _ in found}, "fixed: remove it from KNOWN_UPWARD"


def test_no_domain_imports_another_domains_views_or_forms():
    bad = [f"{_where(a, line)}: {a} imports {b}" for a, b, line in imports()
           if part_of(a) in DOMAINS and part_of(b) in DOMAINS and part_of(a) != part_of(b)
           and b.rpartition(".")[2] in ("views", "forms")]
    assert bad == []


def test_no_cycles_between_parts():
    graph: dict[str, set[str]] = defaultdict(set)
    where: dict[tuple[str, str], str] = {}
    for a, b, line in imports():
        pa, pb = part_of(a), part_of(b)
        if pa != pb:
            graph[pa].add(pb)
            where.setdefault((pa, pb), _where(a, line))
    cycles, parts = [], []
    for start in sorted(graph):
        stack = [(start, [start])]
        while stack:
            node, path = stack.pop()
            for nxt in sorted(graph[node]):
                if nxt == start:
                    parts.append(frozenset(path))
                    if frozenset(path) not in KNOWN_CYCLES:
                        cycles.append(" -> ".join(f"{x} ({where[(x, y)]})" for x, y in
                                                  zip(path, [*path[1:], start], strict=True)))
                elif nxt not in path and nxt > start:  # each cycle once, from its least part
                    stack.append((nxt, [*path, nxt]))
    assert cycles == []
    assert KNOWN_CYCLES <= set(parts), "fixed: remove it from KNOWN_CYCLES"


# Services packages: one concern per module, each importing only the modules listed before it.
SERVICE_PACKAGES = {
    "registry.organizations.services": ["rules", "egrul_check", "wizard", "queries", "history",
                                        "search", "operations"],
    "registry.documents.services": ["store", "checks", "expiry", "uploads", "applications"],
    "registry.members.services": ["memberships", "journal", "joining", "roles", "refusals"],
}


def test_services_packages_import_in_their_order():
    wrong = []
    for package, order in SERVICE_PACKAGES.items():
        inside = {m.rpartition(".")[2] for m in MODULES if m.startswith(package + ".")}
        assert inside == set(order), f"{package}: add new modules to SERVICE_PACKAGES in order"
        for a, b, line in imports():
            if a.startswith(package + ".") and b.startswith(package + "."):
                low, high = order.index(b.rpartition(".")[2]), order.index(a.rpartition(".")[2])
                if low >= high:
                    wrong.append(f"{_where(a, line)}: {a} imports {b}, listed after it")
    assert wrong == []


def test_no_compatibility_re_exports():
    """A name lives in one module; an importer names that module (no ``# noqa: F401
    (re-exported)`` aliases that invite the wrong import)."""
    found = [str(path.relative_to(ROOT.parent)) for path in MODULES.values()
             if re.search(r"noqa: F401 +\(re-export", path.read_text(encoding="utf-8"))]
    assert found == []


def test_one_module_named_demo_and_no_string_key_registries():
    """``demo`` means the demo database (``registry.demo``); the extension points of several
    domains are signals (``core.signals``), not lists in ``app.extensions``."""
    assert [m for m in MODULES if m.rpartition(".")[2] == "demo"] == ["registry.demo"]
    assert "registry.core.hooks" not in MODULES
    registries = [f"{_where(m, n)}" for m, path in MODULES.items()
                  for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                  if "app.extensions.setdefault(" in line and ".append(" in line]
    assert registries == []


def test_members_services_do_not_answer_http():
    source = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "members" / "services").glob("*.py"))
    tree = ast.parse(source)
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    names |= {a.asname or a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)
              for a in n.names}
    assert not names & {"abort", "current_user", "request"}


# A view loads, checks permission, validates, calls a service, flashes and redirects: about 15
# statements' lines. Rules that make one longer belong in the domain's services or forms.
MAX_VIEW_LINES = 15


def _is_view(node: ast.FunctionDef) -> bool:
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
        if name in ("route", "get", "post") or name.startswith("before_"):
            return True
    return False


def test_views_are_thin():
    long = []
    for path in sorted(ROOT.rglob("views.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and _is_view(node):
                body = node.body
                if len(body) > 1 and isinstance(body[0], ast.Expr) and \
                        isinstance(body[0].value, ast.Constant):  # the docstring
                    body = body[1:]
                lines = (body[-1].end_lineno or 0) - body[0].lineno + 1
                if lines > MAX_VIEW_LINES:
                    long.append(f"{path.relative_to(ROOT.parent)}:{node.lineno} {node.name} "
                                f"({lines} lines)")
    assert long == [], "views longer than they should be: " + ", ".join(long)


# registry.pki.validation, bottom to top: a module imports only modules of lower layers, so
# the data (result, policy) and the pure checks (profile) can be read and changed alone.
VALIDATION = "registry.pki.validation"
VALIDATION_LAYERS = [
    {"result", "policy", "cache"},
    {"profile", "signatures"},
    {"crl", "_pyhanko_compat", "diagnose"},
    {"ocsp"},
    {"path"},
    {"api"},
]
VALIDATION_LAYER = {f"{VALIDATION}.{name}": n for n, names in enumerate(VALIDATION_LAYERS)
                    for name in names}
VALIDATION_LAYER[VALIDATION] = len(VALIDATION_LAYERS)  # the package's public face, on top
# The only modules of the package that keep state (caches; worker threads and HTTP sessions).
VALIDATION_STATEFUL = {f"{VALIDATION}.cache", f"{VALIDATION}.ocsp"}
_MUTABLE_CALLS = {"dict", "list", "set", "OrderedDict", "defaultdict", "local", "Lock", "RLock",
                  "LRUCache", "TTLCache", "TLRUCache", "deque", "Caches", "Runner", "Memo"}


def test_every_validation_module_has_a_layer():
    modules = {m for m in MODULES if m == VALIDATION or m.startswith(VALIDATION + ".")}
    assert modules == set(VALIDATION_LAYER)


def test_validation_layers_only_point_down():
    bad = [f"{_where(a, line)}: {a} imports {b}" for a, b, line in imports()
           if a in VALIDATION_LAYER and b in VALIDATION_LAYER
           and VALIDATION_LAYER[b] >= VALIDATION_LAYER[a]]
    assert bad == []
    # and nothing outside the package reaches into it past its public face and api
    inside = [f"{_where(a, line)}: {a} imports {b}" for a, b, line in imports()
              if b in VALIDATION_LAYER and a not in VALIDATION_LAYER
              and b not in (VALIDATION, f"{VALIDATION}.api", f"{VALIDATION}.signatures")]
    assert inside == []


def test_no_module_level_mutable_state_in_validation_but_cache_and_ocsp():
    found = []
    for module in set(VALIDATION_LAYER) - VALIDATION_STATEFUL:
        tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
        for node in tree.body:
            value = node.value if isinstance(node, ast.Assign | ast.AnnAssign) else None
            if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "__all__":
                continue
            if isinstance(value, ast.Dict | ast.List | ast.Set | ast.DictComp | ast.ListComp |
                          ast.SetComp):
                found.append(f"{_where(module, node.lineno)}")
            elif isinstance(value, ast.Call):
                func = value.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name in _MUTABLE_CALLS:
                    found.append(f"{_where(module, node.lineno)}")
    assert found == []
