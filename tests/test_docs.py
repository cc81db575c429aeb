"""The API reference says what the code does: every parameter of every public class is
documented, with the default its signature really has."""

import ast
import inspect
import re

import numpy as np
import pytest

import sk_rnn
from sk_rnn._parameters import SHARED_DOCS

PUBLIC_CLASSES = [
    getattr(sk_rnn, name) for name in sk_rnn.__all__ if inspect.isclass(getattr(sk_rnn, name))
]
ENTRY = re.compile(r"^(\w+) : (.*)$")


def documented_parameters(cls) -> dict[str, str | None]:
    """Name -> default text (None if the entry gives no default) of the numpydoc
    Parameters section of ``cls``'s docstring."""
    lines = inspect.getdoc(cls).splitlines()
    start = lines.index("Parameters") + 2
    entries = {}
    for line, following in zip(lines[start:], lines[start + 1 :] + [""], strict=True):
        if set(following) == {"-"}:  # the next section's heading
            break
        match = ENTRY.match(line)
        if match:
            name, description = match.groups()
            default = re.search(r"default=(.*)$", description)
            entries[name] = default.group(1) if default else None
    return entries


def same_default(documented: str, actual) -> bool:
    try:
        return ast.literal_eval(documented) == actual
    except (ValueError, SyntaxError):
        return documented == f"{getattr(actual, '__module__', '')}.{actual.__qualname__}" or (
            documented == f"torch.optim.{getattr(actual, '__name__', '')}"
        )


@pytest.mark.parametrize("cls", PUBLIC_CLASSES, ids=lambda c: c.__name__)
def test_every_parameter_is_documented_with_its_real_default(cls):
    signature = {
        name: parameter.default
        for name, parameter in inspect.signature(cls.__init__).parameters.items()
        if name != "self"
    }
    documented = documented_parameters(cls)
    assert list(documented) == list(signature), "documented parameters differ from __init__"
    for name, default in signature.items():
        if default is inspect.Parameter.empty:  # required: no default to document
            assert documented[name] is None, f"{cls.__name__}.{name} is required"
            continue
        assert documented[name] is not None, f"{cls.__name__}.{name} documents no default"
        assert same_default(documented[name], default), (
            f"{cls.__name__}.{name}: documented default={documented[name]}, actual {default!r}"
        )


def test_the_parser_sees_a_wrong_default():
    class Wrong:
        """Doc.

        Parameters
        ----------
        size : int, default=3
            A size.
        """

        def __init__(self, size=4):
            self.size = size

    assert documented_parameters(Wrong) == {"size": "3"}
    assert not same_default("3", 4)


def test_shared_descriptions_are_all_used():
    used = set()
    for cls in PUBLIC_CLASSES:
        used |= set(inspect.signature(cls.__init__).parameters)
    assert set(SHARED_DOCS) <= used


# -- the guide pages state the defaults the code has ------------------------------------------

ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]
GUIDE_PAGES = [
    ROOT / "README.md",
    ROOT / "docs" / "index.rst",
    ROOT / "docs" / "quickstart.rst",
    *sorted((ROOT / "docs" / "user_guide").glob("*.rst")),
]
# A page about one estimator states that estimator's defaults; the others any estimator's.
PAGE_ESTIMATOR = {
    "tagging.rst": "RNNTagger",
    "language_models.rst": "RNNLanguageModel",
    "seq2seq.rst": "RNNSeq2Seq",
    "forecasting.rst": "RNNForecaster",
}
# ``name=value`` said to be a default: "(the default", "is the default", "by default" or
# "default ``name=value``" in the same clause; or a definition-list term of a list of
# defaults (a line that is only ``name=value``, its description indented below).
STATED = re.compile(
    r"`{1,2}(\w+)=([^`]+)`{1,2}[^.;:\n]{0,40}?\b(?:the default|by default|is the default)"
    r"|default `{1,2}(\w+)=([^`]+)`{1,2}"
)
TERM = re.compile(r"^``(\w+)=([^`]+)``(?: \(the default[^)]*\))?$")


def stated_defaults(text: str) -> list[tuple[str, str]]:
    """(name, value text) of every default a page states."""
    found = [(m[0] or m[2], m[1] or m[3]) for m in STATED.findall(text)]
    lines = text.splitlines()
    for line, following in zip(lines, lines[1:] + [""], strict=True):
        match = TERM.match(line)
        if match and following.startswith("    "):
            found.append(match.groups())
    return list(dict.fromkeys(found))


def default_problems(page_name: str, text: str) -> list[str]:
    estimators = [getattr(sk_rnn, n) for n in sk_rnn.__all__ if n.startswith("RNN")]
    if page_name in PAGE_ESTIMATOR:
        estimators = [getattr(sk_rnn, PAGE_ESTIMATOR[page_name])]
    defaults = {e.__name__: e().get_params() for e in estimators}
    # the containers' options are stated the same way
    for function in (sk_rnn.SequenceTable.from_parquet,):
        parameters = inspect.signature(function).parameters.values()
        defaults[function.__qualname__] = {
            p.name: p.default for p in parameters if p.default is not inspect.Parameter.empty
        }
    problems = []
    for name, value in stated_defaults(text):
        try:
            stated = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            stated = value
        having = {owner: params[name] for owner, params in defaults.items() if name in params}
        if not having or not any(default == stated for default in having.values()):
            problems.append(f"{page_name}: states {name}={value} as a default; code: {having}")
    return problems


@pytest.mark.parametrize("page", GUIDE_PAGES, ids=lambda p: p.name)
def test_guide_pages_state_the_defaults_the_code_has(page):
    assert default_problems(page.name, page.read_text(encoding="utf-8")) == []


def test_a_stated_default_that_drifted_is_caught():
    text = "``crf=False`` (the default)\n    A softmax.\n\nWith ``max_length=12``, the default"
    assert stated_defaults(text) == [("crf", "False"), ("max_length", "12")]
    problems = default_problems("tagging.rst", text)
    assert len(problems) == 2 and "crf=False" in problems[0]
    assert default_problems("tagging.rst", "``crf=True`` (the default)\n    CRF.") == []


# -- every fitted attribute in its class's Attributes section ---------------------------------


def documented_attributes(cls) -> set[str]:
    """The names listed in ``cls``'s numpydoc Attributes section (``a, b : type`` lines
    count for both)."""
    doc = inspect.cleandoc(cls.__doc__ or "")
    if "\nAttributes\n----------\n" not in doc:
        return set()
    section = doc.split("\nAttributes\n----------\n", 1)[1]
    section = re.split(r"\n[A-Z][A-Za-z ]+\n-+\n", section)[0]
    names = set()
    for line in re.findall(r"^(\w[\w, ]*) :", section, re.M):
        names.update(name.strip() for name in line.split(","))
    return names


def undocumented_fitted_attributes(model) -> list[str]:
    """The fitted attributes ``model`` holds that its class's docstring does not list."""
    fitted = {n for n in vars(model) if re.fullmatch(r"[a-z][a-z0-9_]*_", n)}
    return sorted(fitted - documented_attributes(type(model)))


def _fitted_models():
    from test_extending import _fitted_models as models

    return models()


@pytest.mark.parametrize("name", list(_fitted_models()))
def test_every_fitted_attribute_is_in_its_class_attributes_section(name):
    model = _fitted_models()[name]()
    if type(model).__module__.startswith("sk_rnn"):
        assert undocumented_fitted_attributes(model) == []


def test_the_attributes_check_catches_an_undocumented_attribute():
    from sk_rnn import RNNClassifier

    class Undocumented(RNNClassifier):
        """A classifier.

        Attributes
        ----------
        classes_ : ndarray
        """

    model = Undocumented(hidden_size=4, max_epochs=1).fit([np.ones((3, 1))] * 4, [0, 1] * 2)
    missing = undocumented_fitted_attributes(model)
    assert "classes_" not in missing and "input_scaling_" in missing
