"""Reading scenarios: safe YAML with positions, `extends:`, named overrides and `--set`.

All scenario file I/O lives here. YAML is composed into nodes by ruamel.yaml and built
into plain Python values by our own walker, so that we (not a constructor) decide what is
allowed: only the standard scalar tags, no Python objects, no duplicate keys, bounds on file
size, on the number of values and on nesting depth (checked while parsing, so a hostile file
is refused before it costs time or memory), and `extends:` only inside the scenario roots.
The walker records where every key and value came from, and composition keeps those
positions, so an error found after merging three files and two `--set` options still points
at the line that set the bad value.

Precedence, lowest first (docs/guide.md repeats it):
1. the files named in `extends:`, in order (each resolved the same way, recursively);
2. the file itself;
3. the named overrides listed in the file's `active_overrides:`, in order;
4. `--override NAME` options, in order;
5. `--set` options, in order.
Mappings merge key by key; any other value (lists included) is replaced whole.
"""

from __future__ import annotations

import contextlib
import copy
import difflib
import os
import stat
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.composer import Composer
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import MappingStartEvent, SequenceStartEvent
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode

from .errors import Location, Problem, ScenarioError, dotted

MAX_FILE_BYTES = 5_000_000
"""Scenario files larger than this are refused (a scenario is a few hundred lines; the
shipped world, the largest file, is under 80 kB). The file is read with this cap, whatever
size the file system reports (procfs reports 0)."""
MAX_NODES = 100_000
"""Most values (mapping values and list items) a file may hold, counted while parsing, and
again after alias expansion ('billion laughs' files). The shipped world holds about 5,500:
the bound leaves room for many times that, and refuses a runaway file within the few
seconds it takes to parse that many values."""
MAX_DEPTH = 64
"""Most levels of lists and mappings nested inside one another (a scenario needs fewer than
10); deeper files are refused while parsing, before any recursion could overflow."""
SCENARIO_PATH_ENV = "MINSIM_SCENARIO_PATH"
"""Environment variable: more folders (separated by os.pathsep, ':' on POSIX) that
`extends:` may reach, besides the scenario root of the file loaded."""
SCENARIO_DIR = "scenarios"
"""A file inside a folder of this name may extend any file under that folder."""

_SCALAR_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
}
_COMPOSITION_KEYS = ("extends",)
_SAFE = YAML(typ="safe", pure=True)

Path_ = tuple  # a path into the data: keys (str) and list indices (int)


@dataclass
class Located:
    """Plain YAML data plus where each key and value came from."""

    data: Any
    keys: dict[Path_, Location] = field(default_factory=dict)
    values: dict[Path_, Location] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    applied_overrides: list[str] = field(default_factory=list)
    sets: list[str] = field(default_factory=list)

    def where(self, path: Path_, *, key: bool = False) -> Location | None:
        """The closest known location of `path` (its value, or its key), walking up if unknown."""
        path = tuple(path)
        while True:
            table = (self.keys, self.values) if key else (self.values, self.keys)
            for t in table:
                if path in t:
                    return t[path]
            if not path:
                return None
            path = path[:-1]

    def drop(self, path: Path_) -> None:
        """Forget the positions of `path` and everything under it (a pass over the tables)."""
        n = len(path)
        for table in (self.keys, self.values):
            for p in [p for p in table if p[:n] == path]:
                del table[p]

    def forget(self, path: Path_, value: Any) -> None:
        """Forget the positions of `value`, held at `path`, and of everything inside it: a walk
        of the value, not of the tables, so that an override of many keys stays linear."""
        stack = [(tuple(path), value)]
        while stack:
            p, v = stack.pop()
            self.keys.pop(p, None)
            self.values.pop(p, None)
            if isinstance(v, dict):
                stack.extend(((*p, k), x) for k, x in v.items())
            elif isinstance(v, list):
                stack.extend(((*p, i), x) for i, x in enumerate(v))

    def shift(self, items: Path_, removed: int) -> None:
        """Item `removed` of the list at `items` is gone: the positions of the items after it
        move down by one, as the items did."""
        n = len(items)
        for table in (self.keys, self.values):
            moved = {
                p: loc
                for p, loc in table.items()
                if len(p) > n and p[:n] == items and isinstance(p[n], int) and p[n] > removed
            }
            for p in moved:
                del table[p]
            table.update({(*items, p[n] - 1, *p[n + 1 :]): loc for p, loc in moved.items()})


class _Builder:
    """Turns a composed YAML node graph into plain values, checking as it goes."""

    def __init__(self, filename: str, located: Located):
        self.filename = filename
        self.located = located
        self.count = 0
        self.problems: list[Problem] = []
        self.open: set[int] = set()  # nodes being built: an alias back into one is a cycle
        self.constructor = _SAFE.constructor

    def loc(self, node: Node) -> Location:
        return Location(self.filename, node.start_mark.line + 1, node.start_mark.column + 1)

    def build(self, node: Node, path: Path_) -> Any:
        # the composer bounds the file as written; these bound it as aliases expand it
        self.count += 1
        if self.count > MAX_NODES:
            raise ScenarioError(
                [
                    Problem(
                        self.loc(node),
                        dotted(path),
                        f"the document expands to more than {MAX_NODES:,} values through "
                        "aliases; refusing it (is it an alias bomb?)",
                    )
                ]
            )
        self.located.values[path] = self.loc(node)
        if isinstance(node, ScalarNode):
            return self.scalar(node, path)
        if len(path) >= MAX_DEPTH:
            raise ScenarioError(
                [
                    Problem(
                        self.loc(node),
                        _short(path),
                        f"through aliases, lists and mappings nest more than {MAX_DEPTH} "
                        "levels deep; refusing it",
                    )
                ]
            )
        if id(node) in self.open:
            self.problems.append(
                Problem(self.loc(node), dotted(path), "an alias refers to a value that contains it")
            )
            return None
        self.open.add(id(node))
        try:
            if isinstance(node, MappingNode):
                return self.mapping(node, path)
            if node.tag != "tag:yaml.org,2002:seq":
                self.refuse_tag(node, path)
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        finally:
            self.open.discard(id(node))

    def refuse_tag(self, node: Node, path: Path_) -> None:
        tag = node.tag
        hint = " (Python objects are never loaded)" if tag and "python" in tag else ""
        self.problems.append(
            Problem(self.loc(node), dotted(path), f"YAML tag {tag!r} is not allowed{hint}")
        )

    def mapping(self, node: MappingNode, path: Path_) -> dict:
        if node.tag != "tag:yaml.org,2002:map":
            self.refuse_tag(node, path)
        out: dict = {}
        first_line: dict = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                self.problems.append(
                    Problem(
                        self.loc(key_node),
                        dotted(path),
                        "YAML merge keys (<<) are not supported; use 'extends:' or an alias",
                    )
                )
                continue
            if not isinstance(key_node, ScalarNode):
                self.problems.append(
                    Problem(self.loc(key_node), dotted(path), "mapping keys must be plain text")
                )
                continue
            key = key_node.value
            if key in first_line:
                self.problems.append(
                    Problem(
                        self.loc(key_node),
                        dotted((*path, key)),
                        f"duplicate key {key!r}; it is first defined at line {first_line[key]}",
                    )
                )
                continue
            first_line[key] = key_node.start_mark.line + 1
            self.located.keys[(*path, key)] = self.loc(key_node)
            out[key] = self.build(value_node, (*path, key))
            if (
                isinstance(value_node, ScalarNode)
                and value_node.value == ""
                and not value_node.style
            ):
                # an empty value has no position of its own: point at its key
                self.located.values[(*path, key)] = self.loc(key_node)
        return out

    def scalar(self, node: ScalarNode, path: Path_) -> Any:
        if node.tag not in _SCALAR_TAGS:
            self.refuse_tag(node, path)
            return node.value
        if node.tag in ("tag:yaml.org,2002:str", "tag:yaml.org,2002:timestamp"):
            # ruamel's scanner marks the folds of a folded scalar (>) with BEL; its own
            # constructor drops them, and so must we
            return node.value.replace("\a", "") if node.style == ">" else node.value
        try:
            return self.constructor.construct_object(node, deep=True)
        except Exception:  # an explicit tag that does not fit the text, e.g. !!int five
            kind = node.tag.rsplit(":", 1)[-1]
            self.problems.append(
                Problem(self.loc(node), dotted(path), f"cannot read {node.value!r} as {kind}")
            )
            return None


def _short(path: Path_, parts: int = 4) -> str:
    """A dotted key, cut short when deep (a refused file may nest thousands of levels)."""
    return dotted(path) if len(path) <= parts else dotted(path[:parts]) + "..."


class _BoundedComposer(Composer):
    """ruamel's composer, counting values and nesting levels as it goes: a file past
    MAX_NODES or MAX_DEPTH is refused at the node that crosses the bound, before the rest
    is parsed (parsing is the slow part) and before composing could recurse too deep."""

    filename = "?"

    def __init__(self, loader: Any = None) -> None:
        super().__init__(loader)
        self.values = 0
        self.levels = 0
        self.path: list[Any] = []

    def compose_node(self, parent: Any, index: Any) -> Any:
        # `index`: an item's position in a list, a value's key node, None for a key (or root)
        event = self.parser.peek_event()
        is_value = parent is None or index is not None
        inner = is_value and parent is not None
        if inner:
            self.path.append(index if isinstance(index, int) else getattr(index, "value", "?"))
        nested = isinstance(event, SequenceStartEvent | MappingStartEvent)
        self.levels += nested
        try:
            if is_value:
                self.values += 1
                if self.values > MAX_NODES:
                    self.refuse(
                        event,
                        f"the file holds more than {MAX_NODES:,} values; scenario files are "
                        f"limited to {MAX_NODES:,} (a scenario holds a few thousand)",
                    )
            if self.levels > MAX_DEPTH:
                self.refuse(
                    event,
                    f"lists and mappings nest more than {MAX_DEPTH} levels deep here; "
                    f"scenario files are limited to {MAX_DEPTH} (a scenario needs fewer than 10)",
                )
            return super().compose_node(parent, index)
        finally:
            self.levels -= nested
            if inner:
                self.path.pop()

    def refuse(self, event: Any, message: str) -> None:
        mark = event.start_mark
        loc = Location(self.filename, mark.line + 1, mark.column + 1)
        raise ScenarioError([Problem(loc, _short(tuple(self.path)), message)])


def _compose(text: str, filename: str) -> Node | None:
    yaml = YAML(typ="rt")

    class Composer(_BoundedComposer):
        """A composer of this one file, so that its refusals name it."""

    Composer.filename = filename
    yaml.Composer = Composer
    return yaml.compose(text)


def parse_yaml(text: str, filename: str) -> Located:
    """Parse one YAML document into plain data with the position of every key and value."""
    located = Located(data=None, files=[filename])
    try:
        node = _compose(text, filename)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        loc = Location(filename, mark.line + 1, mark.column + 1) if mark else Location(filename)
        message = (exc.problem or exc.context or "invalid YAML").strip().splitlines()[0]
        if "another document" in message:
            message = "a scenario file holds one YAML document; remove the second '---'"
        raise ScenarioError([Problem(loc, "", f"invalid YAML: {message}")]) from None
    except YAMLError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "unreadable"
        raise ScenarioError([Problem(Location(filename), "", f"invalid YAML: {first}")]) from None
    if node is None:
        raise ScenarioError([Problem(Location(filename), "", "the file is empty")])
    builder = _Builder(filename, located)
    located.data = builder.build(node, ())
    if builder.problems:
        raise ScenarioError(builder.problems)
    if not isinstance(located.data, dict):
        raise ScenarioError(
            [Problem(builder.loc(node), "", "a scenario must be a mapping of keys to values")]
        )
    return located


def read_file(path: Path) -> Located:
    """Read and parse one file, refusing missing, oversized and undecodable files. The file
    is read with a cap of MAX_FILE_BYTES whatever its reported size: procfs and devices
    report 0 (or nothing) and must not pass the bound for it."""
    name = str(path)
    try:
        st = path.stat()
    except OSError:
        raise ScenarioError([Problem(Location(name), "", "no such file")]) from None
    if stat.S_ISDIR(st.st_mode):
        raise ScenarioError([Problem(Location(name), "", "is a folder, not a scenario file")])
    if not stat.S_ISREG(st.st_mode):
        raise ScenarioError(
            [Problem(Location(name), "", "not a regular file (a device, pipe or socket)")]
        )
    if st.st_size > MAX_FILE_BYTES:
        raise ScenarioError([Problem(Location(name), "", _too_big(f"is {st.st_size:,} bytes"))])
    try:
        with path.open("rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ScenarioError([Problem(Location(name), "", f"cannot read it: {reason}")]) from None
    if len(data) > MAX_FILE_BYTES:
        raise ScenarioError(
            [Problem(Location(name), "", _too_big(f"holds more than {MAX_FILE_BYTES:,} bytes"))]
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            [Problem(Location(name), "", f"not UTF-8 text ({exc.reason} at byte {exc.start})")]
        ) from None
    # as a text-mode read would: universal newlines
    return parse_yaml(text.replace("\r\n", "\n").replace("\r", "\n"), name)


def _too_big(what: str) -> str:
    return f"the file {what}; scenario files are limited to {MAX_FILE_BYTES:,} bytes"


def deep_merge(base: Located, top: Located, prefix: Path_ = ()) -> None:
    """Merge `top` into `base` in place: mappings key by key, anything else replaced.

    Linear in the size of both: the values replaced are collected first, then the position
    tables are passed over once each (dropping, or taking from `top`, the positions under a
    replaced value), rather than once per replaced value."""
    replaced: set[Path_] = set()

    def merge(b: dict, t: dict, path: Path_) -> None:
        for key, value in t.items():
            p = (*path, key)
            if isinstance(value, dict) and isinstance(b.get(key), dict):
                if p in top.values:
                    base.values[p] = top.values[p]
                merge(b[key], value, p)
                if p in top.keys:
                    base.keys[p] = top.keys[p]
            else:
                b[key] = copy.deepcopy(value)
                replaced.add(p)

    def under(q: Path_) -> bool:
        return any(q[:i] in replaced for i in range(1, len(q) + 1))

    merge(base.data, top.data, prefix)
    if replaced:
        for table in (base.keys, base.values):
            for q in [q for q in table if under(q)]:
                del table[q]
        for src, dst in ((top.keys, base.keys), (top.values, base.values)):
            for q, loc in src.items():
                if under(q):
                    dst[q] = loc
    base.files.extend(f for f in top.files if f not in base.files)


def _extends_list(doc: Located) -> list[tuple[str, Location | None]]:
    raw = doc.data.get("extends", [])
    if isinstance(raw, str):
        return [(raw, doc.values.get(("extends",)))]
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        raise ScenarioError(
            [
                Problem(
                    doc.where(("extends",)),
                    "extends",
                    "must be a file name or a list of file names",
                )
            ]
        )
    return [(x, doc.values.get(("extends", i))) for i, x in enumerate(raw)]


_EXTRA_ROOTS: ContextVar[tuple[Path, ...]] = ContextVar("minsim_scenario_roots", default=())


@contextlib.contextmanager
def extra_roots(paths: Iterable[str | Path]) -> Iterator[None]:
    """Within the block, `extends:` may also reach under `paths` (the CLI's --scenario-path)."""
    token = _EXTRA_ROOTS.set(tuple(Path(p) for p in paths))
    try:
        yield
    finally:
        _EXTRA_ROOTS.reset(token)


def scenario_roots(path: str | Path, extra: Iterable[str | Path] = ()) -> tuple[Path, ...]:
    """The folders whose files the scenario at `path` may extend, symlinks resolved: the
    `scenarios/` folder that holds the file (its nearest ancestor of that name), else the
    file's own folder; then `extra`, those of `extra_roots`, and those named in
    MINSIM_SCENARIO_PATH. A scenario is data, and `extends:` must not make it read (and
    `minsim show` print, and a run folder copy) files from anywhere else on the machine."""
    here = Path(path).resolve().parent
    default = next((d for d in (here, *here.parents) if d.name == SCENARIO_DIR), here)
    env = [p for p in os.environ.get(SCENARIO_PATH_ENV, "").split(os.pathsep) if p]
    roots = [default, *(Path(p) for p in (*extra, *_EXTRA_ROOTS.get(), *env))]
    return tuple(dict.fromkeys(r.expanduser().resolve() for r in roots))


def _check_root(name: str, parent_path: Path, loc: Location | None, roots: tuple[Path, ...]):
    """Refuse a parent outside the roots, before looking whether it exists (so that a
    scenario cannot probe the machine's files either)."""
    real = parent_path.resolve()
    if any(real.is_relative_to(r) for r in roots):
        return
    plain = Path(os.path.abspath(parent_path))
    what = f"{name!r}" + (f" resolves to {real}, which" if real != plain else "")
    allowed = ", ".join(str(r) for r in roots)
    raise ScenarioError(
        [
            Problem(
                loc,
                "extends",
                f"{what} is outside the scenario roots ({allowed}); extend files under them "
                f"only, or allow another folder with --scenario-path DIR or "
                f"{SCENARIO_PATH_ENV}",
            )
        ]
    )


def load_composed(
    path: Path,
    roots: tuple[Path, ...] | None = None,
    _stack: tuple[Path, ...] = (),
    _named_at: Location | None = None,
) -> Located:
    """A file with its `extends:` chain merged underneath it (overrides not yet applied).
    Every file of the chain must lie under `roots` (default: `scenario_roots(path)`)."""
    path = Path(path)
    roots = scenario_roots(path) if roots is None else roots
    resolved = path.resolve()
    if resolved in _stack:
        chain = " -> ".join(str(p) for p in (*_stack, resolved))
        where = _named_at or Location(str(path))
        raise ScenarioError([Problem(where, "extends", f"circular extends: {chain}")])
    doc = read_file(path)
    parents = _extends_list(doc)
    if not parents:
        doc.data.pop("extends", None)
        doc.drop(("extends",))
        return doc
    merged: Located | None = None
    for name, loc in parents:
        parent_path = path.parent / name
        _check_root(name, parent_path, loc, roots)
        if not parent_path.is_file():
            raise ScenarioError(
                [Problem(loc, "extends", f"cannot find {name!r} (looked for {parent_path})")]
            )
        parent = load_composed(parent_path, roots, (*_stack, resolved), loc)
        if merged is None:
            merged = parent
        else:
            deep_merge(merged, parent)
    assert merged is not None
    own = Located(data=dict(doc.data), keys=doc.keys, values=doc.values, files=doc.files)
    own.data.pop("extends")
    deep_merge(merged, own)
    merged.data.pop("extends", None)
    merged.drop(("extends",))
    return merged


# ---------------------------------------------------------------------------------------------
# Dotted-key edits: the grammar shared by named overrides and --set (a subset of Hydra's).
#   a.b=v   set an existing key        +a.b=v   add a new key        ~a.b   delete a key


def _split_path(text: str) -> Path_:
    return tuple(int(p) if p.isdigit() else p for p in text.split("."))


def _suggest(word: Any, options: Any) -> str:
    close = difflib.get_close_matches(str(word), [str(o) for o in options], n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def apply_edit(
    doc: Located, op: str, path: Path_, value: Any, origin: Location, value_doc: Located | None
) -> None:
    """Apply one dotted-key edit in place. `op` is '=', '+' or '~'."""
    parent: Any = doc.data
    for i, part in enumerate(path[:-1]):
        here = path[: i + 1]
        if (isinstance(parent, dict) and part in parent) or (
            isinstance(parent, list) and isinstance(part, int) and part < len(parent)
        ):
            parent = parent[part]
        elif op == "+" and isinstance(parent, dict):
            parent[part] = {}
            parent = parent[part]
            doc.keys[here] = origin
        else:
            hint = _suggest(part, parent) if isinstance(parent, dict) else ""
            raise ScenarioError(
                [Problem(origin, dotted(path), f"no key {dotted(here)!r} to change{hint}")]
            )
    last = path[-1]
    exists = (isinstance(parent, dict) and last in parent) or (
        isinstance(parent, list) and isinstance(last, int) and last < len(parent)
    )
    if isinstance(parent, list) and (
        not isinstance(last, int) or (op == "+" and last != len(parent))
    ):
        raise ScenarioError(
            [
                Problem(
                    origin,
                    dotted(path),
                    f"{dotted(path[:-1])!r} is a list of {len(parent)}: address an item by its "
                    f"index (0-{len(parent) - 1}), or add one at the end with "
                    f"'+{dotted((*path[:-1], len(parent)))}=...'",
                )
            ]
        )
    if not isinstance(parent, dict | list):
        raise ScenarioError(
            [Problem(origin, dotted(path), f"{dotted(path[:-1])!r} is a value, not a mapping")]
        )
    if op == "~":
        if not exists:
            hint = _suggest(last, parent) if isinstance(parent, dict) else ""
            raise ScenarioError([Problem(origin, dotted(path), f"no key to delete{hint}")])
        doc.forget(path, parent[last])
        del parent[last]
        if isinstance(parent, list):
            doc.shift(path[:-1], last)
        return
    if op == "+" and exists:
        raise ScenarioError(
            [
                Problem(
                    origin,
                    dotted(path),
                    "the key already exists; use 'a.b=value' to change it (without '+')",
                )
            ]
        )
    if op == "=" and not exists:
        hint = _suggest(last, parent) if isinstance(parent, dict) else ""
        raise ScenarioError(
            [
                Problem(
                    origin,
                    dotted(path),
                    f"no such key{hint} (to add a new key write '+{dotted(path)}=...')",
                )
            ]
        )
    if exists:
        doc.forget(path, parent[last])
    if isinstance(parent, list) and last == len(parent):
        parent.append(value)
    else:
        parent[last] = value
    doc.keys[path] = origin
    if value_doc is not None:  # the value keeps its own positions (named overrides in YAML)
        for src, dst in ((value_doc.keys, doc.keys), (value_doc.values, doc.values)):
            for q, loc in src.items():
                dst[(*path, *q)] = loc
    else:
        _mark_all(doc, path, value, origin)


def _mark_all(doc: Located, path: Path_, value: Any, origin: Location) -> None:
    doc.values[path] = origin
    if isinstance(value, dict):
        for k, v in value.items():
            doc.keys[(*path, k)] = origin
            _mark_all(doc, (*path, k), v, origin)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _mark_all(doc, (*path, i), v, origin)


def set_option(data: dict, key: str, value: Any) -> str:
    """The `--set` option that puts `value` at dotted `key` of the document `data`: '+'
    (add) where the key is absent, so that an edit of an absent key is not an error."""
    node: Any = data
    parts = key.split(".")
    for part in parts[:-1]:
        node = node.get(part, {}) if isinstance(node, dict) else {}
    op = "" if isinstance(node, dict) and parts[-1] in node else "+"
    return f"{op}{key}={value}"


def parse_set(option: str) -> tuple[str, Path_, Any, Location]:
    """`a.b=1` -> ('=', ('a','b'), 1); the value is read as YAML (safely)."""
    origin = Location(f"--set {option}", 0, 0)
    text = option.strip()
    op = "="
    if text.startswith("~"):
        key, eq, _ = text[1:].partition("=")
        if not key:
            raise ScenarioError([Problem(origin, "", "write '~a.b' to delete key a.b")])
        if eq:
            raise ScenarioError(
                [Problem(origin, key, f"'~{key}' deletes the key and takes no value; drop '='")]
            )
        return "~", _split_path(key), None, origin
    if text.startswith("+"):
        op, text = "+", text[1:]
    if "=" not in text:
        raise ScenarioError(
            [Problem(origin, "", "expected KEY=VALUE (or +KEY=VALUE to add, ~KEY to delete)")]
        )
    key, raw = text.split("=", 1)
    if not key:
        raise ScenarioError([Problem(origin, "", "the key before '=' is empty")])
    key = key.strip()
    try:
        value = parse_value(raw, origin.file)
    except ScenarioError as exc:
        raise ScenarioError(
            [Problem(origin, key, p.message.replace("'v'", "the value")) for p in exc.problems]
        ) from None
    return op, _split_path(key), value, origin


def parse_value(raw: str, name: str) -> Any:
    if raw.strip() == "":
        return ""
    if "\n" in raw:
        raise ScenarioError(
            [Problem(Location(name, 0, 0), "", "a --set value must be on one line")]
        )
    return parse_yaml(f"v: {raw}", name).data["v"]


def _override_edits(doc: Located, name: str) -> list[tuple[str, Path_, Any, Location, Located]]:
    """The edits of the named override, each with the location of its key in the YAML."""
    body = doc.data["overrides"][name]
    base = ("overrides", name)
    if not isinstance(body, dict):
        raise ScenarioError(
            [
                Problem(
                    doc.where(base),
                    dotted(base),
                    "an override is a mapping of dotted keys to values",
                )
            ]
        )
    # the positions inside each edit's value, gathered in one pass over the tables
    n = len(base) + 1
    inside: dict[Any, Located] = {}
    for which, src in enumerate((doc.keys, doc.values)):
        for q, loc in src.items():
            if len(q) > n and q[: n - 1] == base:
                sub = inside.setdefault(q[n - 1], Located(data=None))
                (sub.keys, sub.values)[which][q[n:]] = loc
    edits = []
    for key, value in body.items():
        op = "="
        text = str(key)
        if text.startswith(("+", "~")):
            op, text = text[0], text[1:]
        sub = inside.get(key) or Located(data=None)
        sub.data = value
        where = doc.where((*base, key))
        if where is not None:
            sub.values[()] = where
        origin = doc.where((*base, key), key=True) or Location("?")
        edits.append((op, _split_path(text), copy.deepcopy(value), origin, sub))
    return edits


def resolve(
    path: str | Path,
    overrides: tuple[str, ...] = (),
    sets: tuple[str, ...] = (),
    roots: Iterable[str | Path] = (),
) -> Located:
    """The scenario as the engine will see it: extends, then overrides, then --set.
    `roots`: folders `extends:` may reach besides the defaults (see `scenario_roots`)."""
    doc = load_composed(Path(path), scenario_roots(path, roots))
    defined = doc.data.get("overrides") or {}
    active = doc.data.get("active_overrides") or []
    if not isinstance(defined, dict):
        raise ScenarioError(
            [Problem(doc.where(("overrides",)), "overrides", "must be a mapping of names")]
        )
    if not isinstance(active, list):
        raise ScenarioError(
            [
                Problem(
                    doc.where(("active_overrides",)),
                    "active_overrides",
                    "must be a list of override names",
                )
            ]
        )
    chosen: list[tuple[str, Location]] = [
        (str(n), doc.where(("active_overrides", i)) or Location(str(path)))
        for i, n in enumerate(active)
    ]
    chosen += [(n, Location(f"--override {n}", 0, 0)) for n in overrides]
    problems = []
    for name, loc in chosen:
        if name not in defined:
            available = ", ".join(defined) or "none are defined"
            problems.append(
                Problem(
                    loc,
                    "overrides",
                    f"no override named {name!r}{_suggest(name, defined)} (available: {available})",
                )
            )
    if problems:
        raise ScenarioError(problems)
    edits = []
    for name, _ in chosen:
        edits.extend(_override_edits(doc, name))
        doc.applied_overrides.append(name)
    for op, p, value, origin, sub in edits:
        try:
            apply_edit(doc, op, p, value, origin, sub)
        except ScenarioError as exc:
            problems.extend(exc.problems)
    problems.extend(apply_sets(doc, sets))
    if problems:
        raise ScenarioError(problems)
    return doc


def apply_sets(doc: Located, sets: tuple[str, ...]) -> list[Problem]:
    """Apply `--set` options to `doc` in place, in order, recording them; the problems of
    those that could not be applied (the others still are)."""
    problems: list[Problem] = []
    for option in sets:
        try:
            op, p, value, origin = parse_set(option)
            apply_edit(doc, op, p, value, origin, None)
        except ScenarioError as exc:
            problems.extend(exc.problems)
        doc.sets.append(option)
    return problems
