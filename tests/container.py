"""Reading the container files without Docker: the Dockerfile's instructions by stage, the
`.dockerignore` rules (Docker's own matching: `*` within one path segment, `**` any number of
segments, `!` re-includes), the build context they leave, and the variables compose and
`.env.example` name."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
VARIABLE = re.compile(r"^#?\s*([A-Z][A-Z0-9_]*)=", re.MULTILINE)
INTERPOLATION = re.compile(r"\$\{([A-Z][A-Z0-9_]*)")


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [args for kw, args in self.instructions if kw == keyword]


def dockerfile_stages(path: Path = ROOT / "Dockerfile") -> list[Stage]:
    """Each `FROM` and the instructions under it, continuation lines joined, comments dropped."""
    logical: list[str] = []
    pending = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1].strip() + " "
            continue
        logical.append(pending + line)
        pending = ""
    stages: list[Stage] = []
    for line in logical:
        keyword, _, args = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            words = args.split()
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
            stages.append(Stage(words[0], name))
        else:
            stages[-1].instructions.append((keyword, args.strip()))
    return stages


def exec_form(args: str) -> list[str]:
    """`["a", "b"]` (exec form) as a list; shell form as `sh -c` would run it."""
    if args.startswith("["):
        return [str(word) for word in json.loads(args)]
    return ["/bin/sh", "-c", args]


def env_pairs(args: str) -> dict[str, str]:
    """`ENV A=1 B=2` as a mapping (the `KEY=value` form only)."""
    return dict(word.split("=", 1) for word in shlex.split(args))


def ignore_rules(path: Path = ROOT / ".dockerignore") -> list[str]:
    lines = [line.strip() for line in path.read_text().splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


def _match(parts: list[str], pattern: list[str]) -> bool:
    """Whether the leading segments of `parts` match `pattern` (so a match on a folder covers all
    that is in it), `**` standing for any number of segments."""
    if not pattern:
        return True
    if not parts:
        return all(p == "**" for p in pattern)
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        return _match(parts, rest) or _match(parts[1:], pattern)
    return _segment(parts[0], head) and _match(parts[1:], rest)


def _segment(name: str, pattern: str) -> bool:
    regex = "".join(
        "[^/]*" if char == "*" else "[^/]" if char == "?" else re.escape(char) for char in pattern
    )
    return re.fullmatch(regex, name) is not None


def dockerignored(relative: str, rules: list[str]) -> bool:
    """Docker's rule: the last matching line wins; `!pattern` includes again."""
    parts = relative.strip("/").split("/")
    ignored = False
    for rule in rules:
        negate = rule.startswith("!")
        pattern = rule.removeprefix("!").strip("/")
        pattern = re.sub(r"^\./", "", pattern)
        if _match(parts, pattern.split("/")):
            ignored = not negate
    return ignored


def repository_files(root: Path = ROOT) -> list[str]:
    """What a fresh clone holds, plus files not committed yet (and not git-ignored)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=root,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return sorted(name for name in listed.split("\0") if name and (root / name).is_file())


def build_context(root: Path = ROOT) -> list[str]:
    """The files `docker build .` sends from a clone: the repository's minus `.dockerignore`."""
    rules = ignore_rules(root / ".dockerignore")
    return [name for name in repository_files(root) if not dockerignored(name, rules)]


def compose(path: Path = ROOT / "compose.yaml") -> dict[str, Any]:
    loaded = yaml.safe_load(path.read_text())
    assert isinstance(loaded, dict)
    return loaded


def env_example_names(path: Path = ROOT / ".env.example") -> list[str]:
    """Every `NAME=` line, set or commented out (`# NAME=default`)."""
    return VARIABLE.findall(path.read_text())


def env_example_values(path: Path = ROOT / ".env.example") -> dict[str, str]:
    """The lines that are set (not commented out), as `.env` readers see them."""
    values = {}
    for line in path.read_text().splitlines():
        if line and not line.startswith("#") and "=" in line:
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values
