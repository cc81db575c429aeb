"""The API reference says what the code does: every parameter of every public class is
documented, with the default its signature really has."""

import ast
import inspect
import re

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
