"""The package's layout as docs/developers.rst describes it: every module in the layer
map, imports only from its own layer or below, a docstring naming its concern; and a
test suite whose every test can fail."""

import ast
import importlib
import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "sk_rnn"
GUIDE = ROOT / "docs" / "developers.rst"


def layer_map(text: str) -> dict[str, int]:
    """Unit name (a top-level module or subpackage of sk_rnn) -> layer, from the guide's
    "The layers" table."""
    section = text.split("The layers\n----------", 1)[1].split("\nThe subclass contract", 1)[0]
    layers = {}
    for row in re.split(r"\n   \* - ", section)[1:]:
        number, modules = row.split("\n     - ")[:2]
        if number.strip().isdigit():
            for name in re.findall(r"``([\w.]+)``", modules):
                layers[name] = int(number)
    return layers


def unit_of(path: Path) -> str:
    """The unit a file belongs to: ``_base`` for sk_rnn/_base.py, ``_modules`` for any
    file of sk_rnn/_modules/."""
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return parts[0]


def imported_units(path: Path) -> set[str]:
    """The sk_rnn units ``path`` imports (at any depth in the file)."""
    depth = len(path.relative_to(PACKAGE).parts) - 1  # 0 for sk_rnn/x.py
    units = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level == 0:
                module = node.module or ""
                if module == "sk_rnn" or module.startswith("sk_rnn."):
                    parts = module.split(".")[1:]
                    units.add(parts[0] if parts else "__init__")
                continue
            up = node.level - 1  # levels above the file's own folder
            if up > depth:
                continue
            if up == depth:  # relative to the package root
                if node.module:
                    units.add(node.module.split(".")[0])
                else:
                    units.update(alias.name for alias in node.names)
            # else: within the file's own subpackage (its own unit)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("sk_rnn."):
                    units.add(alias.name.split(".")[1])
    return units


def layout_problems(layers: dict[str, int]) -> list[str]:
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        unit = unit_of(path)
        if unit not in layers:
            problems.append(f"{path.relative_to(ROOT)}: {unit} is not in the layer map")
            continue
        for imported in imported_units(path) - {unit}:
            if imported not in layers:
                problems.append(f"{path.relative_to(ROOT)} imports {imported}, not in the map")
            elif layers[imported] > layers[unit]:
                problems.append(
                    f"{path.relative_to(ROOT)} (layer {layers[unit]}) imports {imported} "
                    f"(layer {layers[imported]})"
                )
    return problems


def test_every_module_is_in_the_layer_map_and_imports_only_downwards():
    layers = layer_map(GUIDE.read_text(encoding="utf-8"))
    assert len(layers) > 30
    assert layout_problems(layers) == []


def test_the_layer_check_catches_an_upward_import():
    layers = layer_map(GUIDE.read_text(encoding="utf-8"))
    layers["_sequences"] = 11  # now everything that imports _sequences imports upwards
    assert any("imports _sequences" in p for p in layout_problems(layers))
    del layers["_scaling"]
    assert any("_scaling is not in the layer map" in p for p in layout_problems(layers))


@pytest.mark.parametrize(
    "path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE))
)
def test_every_module_names_its_concern(path):
    docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    assert docstring and len(docstring.splitlines()[0]) > 20, f"{path} has no docstring"


def imported_names(path: Path) -> list[tuple[str, str]]:
    """(module, name) of every ``from .module import name`` of sk_rnn file ``path``."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    pairs = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
            module = ".".join(base + ([node.module] if node.module else []))
            pairs.extend((module, alias.name) for alias in node.names)
    return pairs


def test_every_module_exports_what_the_others_import_from_it():
    missing = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for module, name in imported_names(path):
            if hasattr(importlib.import_module(module), "__path__") and importlib.util.find_spec(
                f"{module}.{name}"
            ):
                continue  # a module imported whole (from . import _fitted_schema as schema)
            exported = getattr(importlib.import_module(module), "__all__", None)
            if exported is None or name not in exported:
                missing.append(f"{module}.{name} (imported by {path.relative_to(ROOT)})")
    assert missing == []


# -- the test suite ------------------------------------------------------------------------

# Calls that make a test fail by themselves: pytest's raises/warns/fail, numpy's and
# scikit-learn's assert_* and check_* functions, and helpers named for what they check.
_FAILING_CALL = re.compile(r"^(raises|warns|fail|skip|importorskip|_?(assert|check|expect)\w*)$")


def _always_true(node: ast.expr) -> bool:
    """Whether an asserted expression (or a part of it joined by ``and``) holds whatever
    the code under test does: a truthy constant or a non-empty literal (``{A, B}``), a
    comparison of a thing with itself, or a length or absolute value compared with 0."""
    if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.And):
        return any(_always_true(v) for v in node.values)
    if isinstance(node, ast.Constant):
        return bool(node.value)
    if isinstance(node, ast.Set | ast.List | ast.Tuple | ast.Dict | ast.JoinedStr):
        return bool(getattr(node, "elts", None) or getattr(node, "keys", None) or node.values)
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        left, right, op = node.left, node.comparators[0], node.ops[0]
        if isinstance(op, ast.Eq | ast.LtE | ast.GtE | ast.Is) and ast.dump(left) == ast.dump(
            right
        ):
            return True
        sized = isinstance(left, ast.Call) and getattr(left.func, "id", "") in ("len", "abs")
        zero = isinstance(right, ast.Constant) and right.value == 0
        return sized and zero and isinstance(op, ast.GtE)
    return False


def find_tests_without_assertions(paths) -> list[str]:
    """Tests that assert nothing (nor call a helper that fails), and tests with an
    assertion that cannot fail (``path::test: line N``)."""
    weak = []
    for path in paths:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.FunctionDef) and node.name.startswith("test")):
                continue
            asserts = [n for n in ast.walk(node) if isinstance(n, ast.Assert)]
            vacuous = [a for a in asserts if _always_true(a.test)]
            weak.extend(f"{path.name}::{node.name}: line {a.lineno}" for a in vacuous)
            if asserts:
                continue
            called = {
                getattr(c.func, "attr", getattr(c.func, "id", ""))
                for c in ast.walk(node)
                if isinstance(c, ast.Call)
            }
            if not any(_FAILING_CALL.match(name) for name in called):
                weak.append(f"{path.name}::{node.name}")
    return weak


def test_every_test_asserts_or_expects_an_exception():
    paths = sorted((ROOT / "tests").glob("test_*.py"))
    assert len(paths) > 20
    assert find_tests_without_assertions(paths) == []


def test_the_assertion_check_catches_a_test_that_cannot_fail(tmp_path):
    planted = tmp_path / "test_planted.py"
    planted.write_text(
        "def test_runs():\n    sum([1, 2])\n\n"
        "def test_checks():\n    assert sum([1, 2]) == 3\n\n"
        "def test_literal():\n    assert callable(sum) and {int, str}\n\n"
        "def test_itself():\n    x = [1]\n    assert x == x\n\n"
        "def test_length():\n    assert len([1]) >= 0\n"
    )
    assert find_tests_without_assertions([planted]) == [
        "test_planted.py::test_runs",
        "test_planted.py::test_literal: line 8",
        "test_planted.py::test_itself: line 12",
        "test_planted.py::test_length: line 15",
    ]


# -- the mixins behind RNNBase: what each reads from self is its own or written down ----------

MIXIN_MODULES = tuple(
    f"_mixins.{path.stem}" for path in sorted((PACKAGE / "_mixins").glob("[!_]*.py"))
)


def _self_attributes(node: ast.AST, *, stored: bool) -> set[str]:
    """Names of ``self.<name>`` in ``node`` that are assigned (``stored``) or read."""
    context = ast.Store if stored else ast.Load
    return {
        n.attr
        for n in ast.walk(node)
        if isinstance(n, ast.Attribute)
        and isinstance(n.value, ast.Name)
        and n.value.id == "self"
        and isinstance(n.ctx, context)
    }


def undeclared_needs(module_name: str, source: str) -> list[str]:
    """What a mixin of ``source`` reads from ``self`` that is neither its own (defined on
    it or its bases, or assigned by it), nor a shared parameter, nor declared by the
    module's ``...Needs`` protocol."""
    module = importlib.import_module(f"sk_rnn.{module_name}")
    shared = set(importlib.import_module("sk_rnn._parameters").SHARED_CONSTRAINTS)
    tree = ast.parse(source)
    classes = [n for n in tree.body if isinstance(n, ast.ClassDef)]
    declared = set()
    for needs in (c for c in classes if c.name.endswith("Needs")):
        declared |= {
            n.target.id if isinstance(n, ast.AnnAssign) else n.name
            for n in needs.body
            if isinstance(n, ast.AnnAssign | ast.FunctionDef)
        }
    problems = []
    for node in (c for c in classes if c.name.endswith("Mixin")):
        own = set(dir(getattr(module, node.name))) | _self_attributes(node, stored=True)
        for name in sorted(_self_attributes(node, stored=False) - own - shared - declared):
            problems.append(f"{module_name}.{node.name} reads self.{name}, not in its Needs")
    return problems


@pytest.mark.parametrize("module_name", MIXIN_MODULES)
def test_every_mixin_declares_what_it_needs_from_the_estimator(module_name):
    source = (PACKAGE / f"{module_name.replace('.', '/')}.py").read_text(encoding="utf-8")
    assert undeclared_needs(module_name, source) == []


def test_the_needs_check_catches_a_mixin_reaching_into_the_estimator():
    source = (PACKAGE / "_mixins" / "assembly.py").read_text(encoding="utf-8")
    planted = source.replace(
        "def _log(self, message):\n", "def _log(self, message):\n        self._secret_knob\n"
    )
    assert planted != source
    assert undeclared_needs("_mixins.assembly", planted) == [
        "_mixins.assembly.NetAssemblyMixin reads self._secret_knob, not in its Needs"
    ]
