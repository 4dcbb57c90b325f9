"""The layer rules of docs/architecture.md, checked on the source with `ast`: imports inside
functions and under `if TYPE_CHECKING:` count (a cycle hidden in a function is still a cycle).
URL names are checked against the resolver, so a wrong name fails here, not as a dead link."""

import ast
import re
from functools import cache
from pathlib import Path

from django.conf import settings
from django.urls import get_resolver

ROOT = Path(__file__).resolve().parents[1]
APPS = ("antt", "certification", "units", "api", "movement")
MAX_MODULES_PER_FOLDER = 12
# The one edge from the project package to an app: settings read the schedule (pure data).
ANTT_MAY_IMPORT = {("antt.settings", "certification.schedule")}
# Framework conventions, not façades: Celery's documented app loading, Django's model discovery.
REEXPORT_ALLOWED = {"antt", "certification.models"}


@cache
def modules() -> dict[str, Path]:
    found = {}
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if "migrations" not in parts:
                found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def project_module(name: str) -> str | None:
    """The project module that `import name` runs last (`certification.models.Assessment` → the package)."""
    while name and name not in modules():
        name = name.rpartition(".")[0]
    return name or None


@cache
def imports() -> list[tuple[str, str, str | None, int, bool]]:
    """(importer, imported name, project module it runs or None, line, is `import *`) for every import."""
    found = []
    for module, path in modules().items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    found.append((module, alias.name, project_module(alias.name), node.lineno, False))
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(parent + ([node.module] if node.module else []))
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    target = full if full in modules() else project_module(base)
                    found.append((module, full, target, node.lineno, alias.name == "*"))
    return found


def where(module: str, line: int) -> str:
    return f"{modules()[module].relative_to(ROOT)}:{line}"


def under(module: str | None, *prefixes: str) -> bool:
    return module is not None and any(module == p or module.startswith(p + ".") for p in prefixes)


def offending(importers: tuple[str, ...], forbidden: tuple[str, ...], allowed=()) -> list[str]:
    return sorted(
        {
            f"{where(source, line)} imports {target}"
            for source, _, target, line, _ in imports()
            if under(source, *importers) and under(target, *forbidden) and not under(target, *allowed)
        }
    )


def cycles() -> list[list[str]]:
    """One shortest cycle through each strongly connected group of modules (Tarjan, then BFS)."""
    graph: dict[str, set[str]] = {m: set() for m in modules()}
    for source, _, target, _, _ in imports():
        if target and target != source:
            graph[source].add(target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = {stack.pop()}
            while node not in group:
                group.add(stack.pop())
            if len(group) > 1:
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    found = []
    for group in groups:
        start = min(group)
        paths = {start: [start]}
        queue = [start]
        while start not in graph[queue[0]]:
            node = queue.pop(0)
            for nxt in sorted(graph[node] & group):
                if nxt not in paths:
                    paths[nxt] = [*paths[node], nxt]
                    queue.append(nxt)
        found.append([*paths[queue[0]], start])
    return found


def test_no_import_cycle_among_the_modules_counting_imports_inside_functions():
    lines: dict[tuple[str, str | None], int] = {}
    for source, _, target, line, _ in imports():
        lines.setdefault((source, target), line)
    report = [
        " → ".join(cycle)
        + "\n    "
        + ", ".join(where(a, lines[a, b]) for a, b in zip(cycle, cycle[1:], strict=False))
        for cycle in cycles()
    ]
    assert not report, "import cycles (one path each):\n" + "\n".join(report)


def test_models_import_no_layer_above_them_except_the_pure_scoring_engine():
    layers = ("services", "selectors", "views", "scoring", "documents", "exchange", "forms", "tasks")
    forbidden = tuple(f"certification.{layer}" for layer in layers)
    bad = offending(("certification.models",), forbidden, allowed=("certification.scoring.engine",))
    assert not bad, "models import a layer above them:\n" + "\n".join(bad)


def test_the_scoring_engine_imports_no_django_and_nothing_of_the_project():
    engine = "certification.scoring.engine"
    assert (ROOT / "certification/scoring/engine.py").exists(), (
        "certification/scoring/engine.py does not exist"
    )
    bad = [
        f"{where(source, line)} imports {name}"
        for source, name, target, line, _ in imports()
        if source == engine and (target or name.split(".")[0] in ("django", *APPS))
    ]
    assert not bad, "the scoring engine must stay pure:\n" + "\n".join(bad)


def test_only_services_and_tasks_import_tasks():
    bad = [
        line
        for line in offending(APPS, ("certification.tasks",))
        if not line.startswith(("certification/services/", "certification/tasks/"))
    ]
    assert not bad, "only services/ and tasks/ may import tasks/:\n" + "\n".join(bad)


def test_scoring_and_documents_steps_import_neither_tasks_nor_services():
    steps = ("certification.scoring", "certification.documents")
    bad = offending(steps, ("certification.tasks", "certification.services"))
    assert not bad, "steps return what comes next, the task adapter enqueues it:\n" + "\n".join(bad)


def test_selectors_never_import_services():
    bad = offending(("certification.selectors",), ("certification.services",))
    assert not bad, "reads never write:\n" + "\n".join(bad)


def test_units_imports_only_the_audit_chain_from_certification():
    bad = offending(("units",), ("certification",), allowed=("certification.audit",))
    assert not bad, "units may import only certification.audit:\n" + "\n".join(bad)


def test_no_app_imports_the_api_and_the_api_imports_no_view():
    """api/ is an outer layer like views/: it calls selectors and services, nothing calls it."""
    bad = offending(("antt", "certification", "units", "movement"), ("api",))
    bad += offending(("api",), ("certification.views", "units.views", "certification.tasks"))
    assert not bad, "api is an interface: nothing imports it, it imports no view:\n" + "\n".join(bad)


def test_certification_and_units_never_import_movement():
    bad = offending(("certification", "units"), ("movement",))
    assert not bad, "movement fills certification.extensions in its AppConfig.ready():\n" + "\n".join(bad)


def test_movement_keeps_the_layers_of_certification():
    bad = offending(("movement.models",), ("movement.services", "movement.selectors", "movement.views"))
    bad += offending(("movement.selectors",), ("movement.services", "certification.services"))
    bad += offending(("movement.documents",), ("movement.services", "certification.services"))
    assert not bad, "movement's layers import upwards:\n" + "\n".join(bad)


def test_antt_imports_no_app_except_settings_reading_the_schedule():
    bad = [
        f"{where(source, line)} imports {target}"
        for source, _, target, line, _ in imports()
        if under(source, "antt")
        and under(target, "certification", "units", "api", "movement")
        and (source, target) not in ANTT_MAY_IMPORT
    ]
    assert not bad, "antt imports no app:\n" + "\n".join(bad)


def test_no_module_imports_star():
    bad = [
        f"{where(source, line)}: from {name[:-2]} import *"
        for source, name, _, line, star in imports()
        if star
    ]
    assert not bad, "import each name from the module that defines it:\n" + "\n".join(bad)


def test_no_all_list_re_exports_names_defined_elsewhere():
    bad = []
    for module, path in modules().items():
        tree = ast.parse(path.read_text())
        defined = set()
        exported: list[str] = []
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                defined.add(node.name)
            targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
            for target in targets:
                if isinstance(target, ast.Name):
                    defined.add(target.id)
                    if target.id == "__all__":
                        exported = [ast.literal_eval(e) for e in node.value.elts]
        if module not in REEXPORT_ALLOWED:
            bad += [
                f"{path.relative_to(ROOT)}: __all__ names {name}" for name in exported if name not in defined
            ]
    assert not bad, "no re-export façades: import from the defining module:\n" + "\n".join(bad)


def test_every_product_folder_holds_at_most_twelve_modules():
    folders: dict[Path, int] = {}
    for path in modules().values():
        if path.name != "__init__.py":
            folders[path.parent] = folders.get(path.parent, 0) + 1
    bad = [
        f"{d.relative_to(ROOT)}/: {n} modules"
        for d, n in sorted(folders.items())
        if n > MAX_MODULES_PER_FOLDER
    ]
    assert not bad, f"more than {MAX_MODULES_PER_FOLDER} modules in a folder:\n" + "\n".join(bad)


def test_certification_top_level_holds_only_what_every_layer_shares():
    shared = {"__init__", "apps", "audit", "errors", "extensions", "schedule", "urls"}
    extra = sorted({p.stem for p in (ROOT / "certification").glob("*.py")} - shared)
    assert not extra, f"certification/ top level: move {', '.join(extra)} into a layer folder"


# --- URL names -------------------------------------------------------------------------------
TEMPLATE_URL = re.compile(r"""\{%\s*url\s+["']([^"']+)["']""")
CODE_URL = re.compile(r"""\b(?:\w*reverse(?:_lazy)?|redirect|resolve_url)\(\s*["']([\w:-]+)["']""")


def url_name_exists(name: str) -> bool:
    resolver = get_resolver()
    *namespaces, view = name.split(":")
    for namespace in namespaces:
        namespace = resolver.app_dict.get(namespace, [namespace])[0]  # an app name → its default instance
        if namespace not in resolver.namespace_dict:
            return False
        resolver = resolver.namespace_dict[namespace][1]
    return view in resolver.reverse_dict


def url_names_written() -> list[tuple[str, str]]:
    found = [
        ("antt/settings.py", getattr(settings, s))
        for s in ("LOGIN_URL", "LOGIN_REDIRECT_URL", "LOGOUT_REDIRECT_URL")
    ]
    for path in sorted((ROOT / "templates").rglob("*.html")):
        found += [(str(path.relative_to(ROOT)), n) for n in TEMPLATE_URL.findall(path.read_text())]
    for path in modules().values():
        found += [(str(path.relative_to(ROOT)), n) for n in CODE_URL.findall(path.read_text())]
    return [(where, name) for where, name in found if "/" not in name]


def test_every_url_name_written_in_templates_and_code_exists():
    written = url_names_written()
    assert len(written) > 50, "the patterns found almost no URL names: the regexes no longer match the code"
    bad = sorted({f"{where}: {name}" for where, name in written if not url_name_exists(name)})
    assert not bad, "URL names that no route has:\n" + "\n".join(bad)


def test_a_misspelt_url_name_is_reported():
    assert url_name_exists("certification:assessment-list")
    assert not url_name_exists("certification:assessment-lists")
    assert not url_name_exists("certificaton:assessment-list")


def test_no_product_code_turns_a_wrong_url_name_into_a_dead_link():
    bad = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path in modules().values()
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ExceptHandler) and node.type and "NoReverseMatch" in ast.unparse(node.type)
    ]
    assert not bad, "catching NoReverseMatch turns a wrong URL name into a dead link:\n" + "\n".join(bad)
