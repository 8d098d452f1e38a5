"""Every Bolt listener reads "parse → call → render" in at most 40 lines (issue 16): found by reading
the source of every module under `bot/`, wherever a function is registered — decorated with, or passed
to, `app.command/action/view/event/shortcut/options/…` (also as `ack=` or in `lazy=[…]`)."""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import bot

MAX_LINES = 40
REGISTRARS = frozenset(
    {
        "command",
        "action",
        "block_action",
        "view",
        "view_submission",
        "view_closed",
        "event",
        "message",
        "shortcut",
        "global_shortcut",
        "message_shortcut",
        "options",
        "block_suggestion",
    }
)
BOT = Path(bot.__file__).parent


def _is_registrar(node: ast.expr) -> bool:
    """`app.view("x")`: a call of an `app.<kind>` attribute."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in REGISTRARS
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "app"
    )


def _registered_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and any(_is_registrar(d) for d in node.decorator_list):
            names.add(node.name)
        if isinstance(node, ast.Call) and _is_registrar(node.func):
            given = [*node.args, *(k.value for k in node.keywords)]
            for value in given:
                items = value.elts if isinstance(value, ast.List | ast.Tuple) else [value]
                names.update(item.id for item in items if isinstance(item, ast.Name))
    return names


def listeners() -> dict[str, int]:
    """`module.function` → its length in lines (decorators and docstring included)."""
    found: dict[str, int] = {}
    for path in sorted(BOT.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = _registered_names(tree)
        if not names:
            continue
        dotted = ".".join(path.relative_to(BOT.parent).with_suffix("").parts)
        module = importlib.import_module(dotted)
        for name in sorted(names):
            function = inspect.unwrap(getattr(module, name))
            lines, _ = inspect.getsourcelines(function)
            found[f"{function.__module__}.{function.__qualname__}"] = len(lines)
    return found


def test_the_listeners_are_found() -> None:
    """The walk finds the listeners of every kind (so the length check below cannot pass vacuously)."""
    found = listeners()
    assert len(found) >= 40
    for listener in (
        "quote.quote_shortcut",
        "home.publish_home",
        "credits_buy.confirm",
        "agency.save_settings",
    ):
        assert any(name.endswith(listener) for name in found), listener


def test_every_listener_is_at_most_40_lines() -> None:
    """Longer ones parse, call and render through named helpers."""
    long = {name: size for name, size in listeners().items() if size > MAX_LINES}
    assert long == {}
