"""The project's import graph: no circle among its modules, and the edges run one way
(`campaigns → messaging | shopify | metrics`, never back). Read from the source with `ast`, imports inside
functions included (a lazy import is still a circle in the design), so nothing is imported to check it."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bench", "campaigns", "config", "messaging", "metrics", "scripts", "shopify")
EDGES = ("messaging", "metrics", "shopify")  # never import campaigns


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")) if (ROOT / package).is_dir() else ():
            if "migrations" in path.parts:
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The project modules `name` imports, anywhere in its source."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            candidates = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
        else:
            continue
        for candidate in candidates:
            while candidate and candidate not in modules:
                candidate = candidate.rpartition(".")[0]
            if candidate and candidate != name:
                targets.add(candidate)
    return targets


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index, low, on_stack, stack, found, counter = {}, {}, set(), [], [], [0]
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
            elif child not in index:
                index[child] = low[child] = counter[0]
                counter[0] += 1
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph.get(child, ())))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return found


def _is_package_of(name: str, other: str) -> bool:
    """`other` is a parent package of `name` (importing a package's own __init__ is not a circle)."""
    return name.startswith(other + ".")


def test_no_import_cycle_among_project_modules():
    graph = _graph()
    graph = {name: {t for t in targets if not _is_package_of(name, t)} for name, targets in graph.items()}
    assert _cycles(graph) == []


def test_the_edges_import_nothing_of_campaigns():
    offenders = {
        name: sorted(t for t in targets if t == "campaigns" or t.startswith("campaigns."))
        for name, targets in _graph().items()
        if name.split(".")[0] in EDGES and ".tests" not in name
    }
    assert {name: targets for name, targets in offenders.items() if targets} == {}


def test_the_edges_read_no_table_of_campaigns():
    """Nor do they read its tables by name (campaigns tells metrics what it needs to know)."""
    readers = [
        name for name, path in _modules().items()
        if name.split(".")[0] in EDGES and ".tests" not in name and "campaigns_" in path.read_text()
    ]
    assert readers == []


def test_compliance_rules_write_nothing():
    """compliance/ holds pure rules: no database access, no other capability."""
    offenders = {}
    for name, path in _modules().items():
        if name.startswith("campaigns.services.compliance"):
            source = path.read_text()
            imported = _imports(name, path, _modules())
            bad = [t for t in imported if t.startswith("campaigns.services.") and not t.startswith(
                ("campaigns.services.compliance", "campaigns.services.errors"))]
            if "django.db" in source or bad:
                offenders[name] = bad or ["django.db"]
    assert offenders == {}


def test_the_check_finds_a_circle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


CAPABILITIES = ("compliance", "billing", "contacts", "audience", "links", "sending", "reports", "shopify_sync")


def test_capabilities_call_only_those_below_them():
    """campaigns/services/<capability> imports only capabilities listed before it in CAPABILITIES (ARCHITECTURE.md)."""
    prefix = "campaigns.services."

    def capability(module: str) -> str | None:
        part = module[len(prefix):].split(".")[0] if module.startswith(prefix) else None
        return part if part in CAPABILITIES else None

    upward = sorted(
        (name, target)
        for name, targets in _graph().items()
        for target in targets
        if capability(name) and capability(target)
        and CAPABILITIES.index(capability(target)) > CAPABILITIES.index(capability(name))
    )
    assert upward == []
