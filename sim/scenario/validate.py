"""From located YAML data to a validated `Scenario`, or every problem at once, located."""

from __future__ import annotations

import difflib
from functools import cache
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from .disruptions import SPECS as DISRUPTION_TYPES
from .errors import Problem, ScenarioError, dotted
from .loader import Located
from .policies import SPECS as POLICY_TYPES
from .schema import Scenario, json_schema

_TYPE_ERRORS = {
    "model_type",
    "model_attributes_type",
    "dict_type",
    "float_type",
    "float_parsing",
    "int_type",
    "int_parsing",
    "string_type",
    "list_type",
    "bool_type",
}
_FRIENDLY_PATTERNS = {
    r"^[A-Z]{3}$": "must be a three-letter ISO currency code such as USD",
    r"^[a-z][a-z0-9_]*$": "must be a lower-case name such as 'refining'",
    r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$": "names use letters, digits, '-', '_' and '.' only",
}


def _walk(loc: tuple, data: Any):
    """Follow a pydantic `loc` through the data: yields (data path so far, part, is_data_key).
    Parts that are not keys of the data are pydantic's tags (union branches, '[key]')."""
    path: list = []
    node = data
    for part in loc:
        if (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        ):
            path.append(part)
            node = node[part]
            yield tuple(path), part, True
        else:
            yield tuple(path), part, False


def _clean_path(loc: tuple, data: Any) -> tuple[tuple, list[str]]:
    """Keep the parts of a pydantic `loc` that are keys in the data; return the skipped tags."""
    path: tuple = ()
    tags: list[str] = []
    for path, part, is_key in _walk(loc, data):  # noqa: B007 (path is the walk's last value)
        if not is_key:
            tags.append(str(part))
    return path, tags


@cache
def _schema() -> dict:
    return json_schema()


def _resolve(node: dict) -> dict:
    while "$ref" in node:
        node = _schema()["$defs"][node["$ref"].split("/")[-1]]
    return node


def allowed_keys(path: tuple, data: Any) -> list[str]:
    """The keys the schema allows in the mapping at `path` (for 'did you mean')."""
    node = _resolve(_schema())
    here = data
    for part in path:
        node = _pick_branch(node, here)
        if "properties" in node and part in node["properties"]:
            node = _resolve(node["properties"][part])
        elif isinstance(node.get("additionalProperties"), dict):
            node = _resolve(node["additionalProperties"])
        elif node.get("patternProperties"):
            node = _resolve(next(iter(node["patternProperties"].values())))
        elif "items" in node:
            node = _resolve(node["items"])
        else:
            return []
        here = here[part] if isinstance(here, dict | list) else None
    node = _pick_branch(node, here)
    return list(node.get("properties", {}))


def _pick_branch(node: dict, data: Any) -> dict:
    node = _resolve(node)
    branches = node.get("oneOf") or node.get("anyOf")
    if not branches:
        return node
    disc = node.get("discriminator")
    if disc and isinstance(data, dict):
        target = disc.get("mapping", {}).get(data.get(disc["propertyName"]))
        if target:
            return _resolve({"$ref": target})
    for branch in branches:
        b = _resolve(branch)
        if (
            "properties" in b
            or "additionalProperties" in b
            or "patternProperties" in b
            or "items" in b
        ):
            return b
    return node


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, str):
        return repr(value)
    return str(value)


def _message(err: ErrorDetails, path: tuple, data: Any) -> tuple[tuple, str]:
    """A plain-words message for one pydantic error, and the path it belongs to."""
    kind = err["type"]
    ctx: dict[str, Any] = err.get("ctx", {})
    value = err.get("input")
    if kind == "extra_forbidden":
        key = path[-1] if path else err["loc"][-1]
        options = allowed_keys(path[:-1], data)
        close = difflib.get_close_matches(str(key), options, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return path, f"unknown key {key!r}{hint}"
    if kind == "missing":
        key = err["loc"][-1]
        return (*path, key), "missing required key"
    if kind in ("less_than_equal", "less_than", "greater_than_equal", "greater_than"):
        words = {
            "less_than_equal": ("at most", "le"),
            "less_than": ("less than", "lt"),
            "greater_than_equal": ("at least", "ge"),
            "greater_than": ("greater than", "gt"),
        }[kind]
        return path, f"must be {words[0]} {_fmt(ctx[words[1]])} (got {_fmt(value)})"
    if kind == "literal_error":
        return path, f"must be one of {ctx['expected']} (got {_fmt(value)})"
    if kind == "union_tag_invalid":
        what, tags = _kinds(path)
        return (*path, "type"), (
            f"unknown {what} type {_fmt(ctx['tag'])}; expected one of {_tag_options(tags)}"
        )
    if kind == "union_tag_not_found":
        return path, f"missing 'type'; expected one of {_tag_options(_kinds(path)[1])}"
    if kind == "value_error":
        return path, str(ctx.get("error", err["msg"]))
    if kind == "too_short":
        return path, f"must have at least {ctx.get('min_length', 1)} entry"
    if kind == "string_pattern_mismatch":
        return path, _FRIENDLY_PATTERNS.get(
            ctx.get("pattern", ""), err["msg"]
        ) + f" (got {_fmt(value)})"
    if kind == "int_type" and isinstance(value, float):
        return path, f"must be a whole number (got {_fmt(value)})"
    if kind in _MUST_BE:
        return path, f"must be {_MUST_BE[kind]} (got {_fmt(value)})"
    return path, err["msg"]


_MUST_BE: dict[str, str] = {
    "finite_number": "a finite number",
    "float_type": "a number",
    "float_parsing": "a number",
    "int_type": "a number",
    "int_parsing": "a number",
    "int_from_float": "a whole number",
    "dict_type": "a mapping of keys to values",
    "model_type": "a mapping of keys to values",
    "model_attributes_type": "a mapping of keys to values",
    "list_type": "a list",
    "string_type": "text",
    "bool_type": "true or false",
}
"""What a value must be, by the pydantic error type that says it is not: these errors all
read `must be <this> (got <the value>)`."""


def _kinds(path: tuple) -> tuple[str, set[str]]:
    """Whether a `type` at `path` names a policy or a disruption, and the types it may name."""
    if path[:1] == ("policies",):
        return "policy", _POLICY_TAGS
    return "disruption", _DISRUPTION_TAGS


def _tag_options(tags: set[str]) -> str:
    return ", ".join(f"'{t}'" for t in sorted(tags))


_DISRUPTION_TAGS = set(DISRUPTION_TYPES)
"""The disruption types (one module each under sim/scenario/disruptions/)."""
_POLICY_TAGS = set(POLICY_TYPES)
"""The policy types (one module each under sim/scenario/policies/)."""


def _branch_point(loc: tuple, data: Any) -> tuple[tuple, str | None]:
    """Where a union of a value and a Distribution was entered, and which branch was taken
    ('Distribution' or 'value'); (path, None) when the error went through no such union."""
    path: tuple = ()
    for path, part, is_key in _walk(loc, data):
        if (
            not is_key
            and isinstance(part, str)
            and part != "[key]"
            and part not in _DISRUPTION_TAGS
            and part not in _POLICY_TAGS
        ):
            return path, "Distribution" if "Distribution" in part else "value"
    return path, None


def _is_union_with_distribution(loc: tuple) -> bool:
    return any(
        isinstance(p, str) and ("Distribution" in p or "float" in p or "parse_duration" in p)
        for p in loc
    )


def _chosen_branches(errors: list[ErrorDetails], data: Any) -> list[ErrorDetails]:
    """Keep, for a value that is `number | Distribution` (and the like), only the errors of the
    branch the analyst meant: Distribution when the value is a mapping with 'dist'."""
    kept = []
    for err in errors:
        point, branch = _branch_point(err["loc"], data)
        if branch is None or not _is_union_with_distribution(err["loc"]):
            kept.append(err)
            continue
        value: Any = data
        for part in point:
            value = value[part]
        wants_dist = isinstance(value, dict) and "dist" in value
        if (branch == "Distribution") == wants_dist:
            kept.append(err)
    return kept or errors


def schema_problems(exc: ValidationError, doc: Located) -> list[Problem]:
    """Located problems from a pydantic ValidationError, one per distinct path and cause."""
    by_path: dict[tuple, list[tuple[ErrorDetails, list[str]]]] = {}
    for err in _chosen_branches(exc.errors(include_url=False), doc.data):
        path, tags = _clean_path(err["loc"], doc.data)
        by_path.setdefault(path, []).append((err, tags))
    problems = []
    for path, errs in by_path.items():
        if len(errs) > 1:  # a union: keep the branch errors that are not mere type mismatches
            specific = [e for e in errs if e[0]["type"] not in _TYPE_ERRORS]
            errs = specific or errs[:1]
        seen = set()
        for err, tags in errs:
            key_path, message = _message(err, path, doc.data)
            if (key_path, message) in seen:
                continue
            seen.add((key_path, message))
            is_key = err["type"] == "extra_forbidden" or "[key]" in tags
            loc = doc.where(key_path if err["type"] != "missing" else path, key=is_key)
            problems.append(Problem(loc, dotted(key_path), message))
    return problems


def validate(doc: Located) -> Scenario:
    """Schema then semantic checks; raises ScenarioError with every problem found."""
    from .checks import semantic_problems

    try:
        scenario = Scenario.model_validate(doc.data)
    except ValidationError as exc:
        raise ScenarioError(schema_problems(exc, doc)) from None
    problems = semantic_problems(scenario, doc)
    if problems:
        raise ScenarioError(problems)
    return scenario
