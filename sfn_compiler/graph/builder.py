"""build_graph: a FlowSpec class -> FlowGraph, in one pass.

Transitions are read from each step's source (`self.next(...)` as the last statement),
as Metaflow does, so the graph is known before anything runs. Problems found while
reading are recorded on the node (NextCall.problem) and reported by `validate`.
"""
from __future__ import annotations

import ast
import inspect
import textwrap
from typing import Any, Mapping

from ..dsl.decorators import FLOW_SPECS_ATTR, STEP_SPECS_ATTR
from ..dsl.parameters import Parameter
from ..dsl.specs import ParameterSpec
from ..diagnostics import Diagnostic, FlowDefinitionError
from ..dsl.configs import ConfigError, DeferredSpec, flow_configs, has_delayed, resolve_configs, resolve_delayed
from .loops import find_loops, position_frames
from .model import FlowGraph, NextCall, StepKind, StepNode


def build_graph(flow_cls: type, config_sources: Mapping[str, tuple[str, str]] | None = None) -> FlowGraph:
    """Build the frozen graph IR of a flow class.

    `config_sources`: what the launcher gave for the flow's Configs (name -> ("path" |
    "value", text)); the Configs are read first, since decorators may use them.
    Raises FlowDefinitionError when a Config cannot be read or an expression over one fails.
    """
    configs = _configs(flow_cls, config_sources)
    functions = _step_functions(flow_cls)
    parsed = {name: _parse_step(func) for name, func in functions.items()}
    out_edges = {name: p["next"].targets for name, p in parsed.items()}
    in_edges: dict[str, list[str]] = {name: [] for name in parsed}
    for name, targets in out_edges.items():
        for target in targets:
            if target in in_edges and name not in in_edges[target]:
                in_edges[target].append(name)
    kinds = {name: _kind(name, p) for name, p in parsed.items()}
    split_parents, matching_join = _split_structure(out_edges, kinds, parsed)
    switches = [name for name, p in parsed.items() if p["next"].condition is not None]
    roots = ["start"] + sorted(n for n in parsed if n != "start")
    loops = find_loops(out_edges, switches, roots)
    fanouts = [name for name, p in parsed.items() if p["next"].foreach or p["next"].num_parallel is not None]
    frames = position_frames(parsed, split_parents, fanouts, loops)
    loops_back = {name: tuple(h for h, loop in loops.items() if name in loop.back_sources) for name in parsed}

    steps = []
    for name, p in sorted(parsed.items(), key=lambda item: item[1]["line"]):
        steps.append(
            StepNode(
                name=name,
                kind=kinds[name],
                out_edges=out_edges[name],
                in_edges=tuple(in_edges[name]),
                foreach_var=p["next"].foreach,
                split_parents=split_parents.get(name, ()),
                decorators=_resolved(getattr(functions[name], STEP_SPECS_ATTR, ()), configs, flow_cls, p["line"]),
                source_line=p["line"],
                takes_inputs=p["num_args"] > 1,
                num_args=p["num_args"],
                next_call=p["next"],
                matching_join=matching_join.get(name),
                doc=inspect.getdoc(functions[name]),
                artifact_writes=p["writes"],
                switch_cases=p["next"].cases,
                condition=p["next"].condition,
                frames=frames.get(name, ()),
                loops_back_to=loops_back[name],
                num_parallel=p["next"].num_parallel,
            )
        )
    return FlowGraph(
        name=flow_cls.__name__,
        steps=tuple(steps),
        parameters=_parameters(flow_cls, configs),
        flow_decorators=_resolved(getattr(flow_cls, FLOW_SPECS_ATTR, ()), configs, flow_cls, _class_line(flow_cls)),
        source_file=_source_file(flow_cls),
        class_line=_class_line(flow_cls),
    )


def _step_functions(flow_cls: type) -> dict[str, Any]:
    found = {}
    for name in dir(flow_cls):
        if name.startswith("__"):
            continue
        value = inspect.getattr_static(flow_cls, name, None)
        if callable(value) and getattr(value, "is_step", False):
            found[name] = value
    return found


def _parse_step(func: Any) -> dict[str, Any]:
    lines, first_line = inspect.getsourcelines(func)
    tree = ast.parse(textwrap.dedent("".join(lines)))
    fdef = next(n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)))
    offset = first_line - 1
    def_line = fdef.lineno + offset  # the `def` line, not the first decorator's
    num_args = len(fdef.args.args) + (1 if fdef.args.vararg else 0)
    return {"line": def_line, "num_args": num_args, "next": _read_next(fdef, offset, func.__name__),
            "writes": _artifact_writes(fdef, offset)}


def _artifact_writes(fdef: ast.FunctionDef | ast.AsyncFunctionDef, offset: int) -> tuple[tuple[str, int], ...]:
    writes = []
    for node in ast.walk(fdef):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        while targets:
            target = targets.pop()
            if isinstance(target, (ast.Tuple, ast.List)):
                targets.extend(target.elts)
            elif isinstance(target, ast.Starred):
                targets.append(target.value)
            elif (isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name)
                  and target.value.id == "self"):
                writes.append((target.attr, target.lineno + offset))
    return tuple(sorted(set(writes), key=lambda w: (w[1], w[0])))


def _is_next_call(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "next"
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "self"
    )


def _read_next(fdef: ast.FunctionDef | ast.AsyncFunctionDef, offset: int, name: str) -> NextCall:
    body = [s for s in fdef.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    tail = body[-1] if body else None
    anywhere = [n for n in ast.walk(fdef) if _is_next_call(n)]
    if tail is None or not (isinstance(tail, ast.Expr) and _is_next_call(tail.value)):
        if name == "end":
            if anywhere:
                return NextCall(line=anywhere[0].lineno + offset, problem="in_end")
            return NextCall(line=fdef.lineno + offset)
        if anywhere:
            return NextCall(line=anywhere[0].lineno + offset, problem="not_last")
        last_line = (tail.end_lineno or tail.lineno) if tail is not None else fdef.lineno
        return NextCall(line=last_line + offset, problem="missing")

    call = tail.value
    assert isinstance(call, ast.Call)
    line = call.lineno + offset
    if name == "end":
        return NextCall(line=line, problem="in_end")
    if call.args and isinstance(call.args[0], ast.Dict) or any(kw.arg == "condition" for kw in call.keywords):
        return _read_switch(call, line)
    targets = []
    for arg in call.args:
        if isinstance(arg, ast.Attribute) and isinstance(arg.value, ast.Name) and arg.value.id == "self":
            targets.append(arg.attr)
        else:
            return NextCall(targets=tuple(targets), line=line, problem="bad_target")
    foreach = None
    num_parallel = None
    for kw in call.keywords:
        if kw.arg == "foreach":
            if isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
                foreach = kw.value.value
            else:
                return NextCall(targets=tuple(targets), line=line, problem="bad_foreach")
        elif kw.arg == "num_parallel":
            value = kw.value.value if isinstance(kw.value, ast.Constant) else None
            if not isinstance(value, int) or isinstance(value, bool) or value < 1 or len(targets) != 1:
                return NextCall(targets=tuple(targets), line=line, problem="bad_num_parallel")
            num_parallel = value
        else:
            return NextCall(targets=tuple(targets), line=line, problem="bad_keyword")
    if not targets:
        return NextCall(line=line, problem="bad_target")
    if foreach is not None and num_parallel is not None:
        return NextCall(targets=tuple(targets), line=line, problem="bad_num_parallel")
    return NextCall(targets=tuple(targets), foreach=foreach, line=line, num_parallel=num_parallel)


_CASE_TYPES = (str, int, float, bool)


def _read_switch(call: ast.Call, line: int) -> NextCall:
    """`self.next({"a": self.a, "b": self.b}, condition="attr")`: literal keys, step values."""
    bad = NextCall(line=line, problem="bad_switch")
    if len(call.args) != 1 or not isinstance(call.args[0], ast.Dict) or not call.args[0].keys:
        return bad
    condition = None
    for kw in call.keywords:
        if kw.arg != "condition" or not (isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str)):
            return bad
        condition = kw.value.value
    if condition is None:
        return bad
    cases = []
    for key, value in zip(call.args[0].keys, call.args[0].values):
        if not (isinstance(key, ast.Constant) and isinstance(key.value, _CASE_TYPES)):
            return bad
        if not (isinstance(value, ast.Attribute) and isinstance(value.value, ast.Name) and value.value.id == "self"):
            return bad
        cases.append((key.value, value.attr))
    targets = tuple(dict.fromkeys(target for _key, target in cases))
    return NextCall(targets=targets, line=line, cases=tuple(cases), condition=condition)


def _kind(name: str, parsed: dict[str, Any]) -> StepKind:
    nxt: NextCall = parsed["next"]
    if name == "end":
        return StepKind.END
    if name == "start":
        return StepKind.START
    if parsed["num_args"] > 1:
        return StepKind.JOIN
    if nxt.condition is not None:
        return StepKind.SWITCH
    if nxt.foreach is not None or nxt.num_parallel is not None:
        return StepKind.FOREACH
    if len(nxt.targets) > 1:
        return StepKind.SPLIT
    return StepKind.LINEAR


def _split_structure(
    out_edges: dict[str, tuple[str, ...]], kinds: dict[str, StepKind], parsed: dict[str, Any]
) -> tuple[dict[str, tuple[str, ...]], dict[str, str]]:
    """Walk from start carrying the stack of open splits; a join pops one.

    The first path to reach a step decides its stack; disagreements between paths
    are what `validate` reports as mismatched joins.
    """
    split_parents: dict[str, tuple[str, ...]] = {}
    matching_join: dict[str, str] = {}
    if "start" not in out_edges:
        return split_parents, matching_join
    stack: list[tuple[str, tuple[str, ...]]] = [("start", ())]
    while stack:
        name, parents = stack.pop()
        if name in split_parents or name not in out_edges:
            continue
        if parsed[name]["num_args"] > 1 and parents:
            matching_join.setdefault(parents[-1], name)
            parents = parents[:-1]
        split_parents[name] = parents
        node_next: NextCall = parsed[name]["next"]
        opens = node_next.foreach or node_next.num_parallel is not None or (
            len(out_edges[name]) > 1 and node_next.condition is None)
        child_parents = parents + (name,) if opens else parents
        for target in reversed(out_edges[name]):
            stack.append((target, child_parents))
    return split_parents, matching_join


def _parameters(flow_cls: type, configs: dict[str, Any]) -> tuple[ParameterSpec, ...]:
    specs = []
    for attr in dir(flow_cls):
        value = inspect.getattr_static(flow_cls, attr, None)
        if isinstance(value, Parameter):
            spec = value.spec(attr)
            if has_delayed(spec.default):  # a default read from a Config
                from dataclasses import replace

                spec = replace(spec, default=_evaluate(lambda: resolve_delayed(spec.default, configs), flow_cls,
                                                       spec.source_line))
                value.default = spec.default
            specs.append(spec)
    return tuple(sorted(specs, key=lambda s: (s.source_line, s.name)))


def _configs(flow_cls: type, sources: Mapping[str, tuple[str, str]] | None) -> dict[str, Any]:
    if not flow_configs(flow_cls):
        return {}
    return _evaluate(lambda: resolve_configs(flow_cls, sources, _source_file(flow_cls)), flow_cls,
                     _class_line(flow_cls))


def _resolved(specs: tuple[Any, ...], configs: dict[str, Any], flow_cls: type, line: int) -> tuple[Any, ...]:
    """Decorator specs, with those that read Configs made now."""
    return tuple(_evaluate(lambda s=s: s.resolve(configs), flow_cls, line) if isinstance(s, DeferredSpec) else s
                 for s in specs)


def _evaluate(work: Any, flow_cls: type, line: int) -> Any:
    try:
        return work()
    except ConfigError as exc:
        raise FlowDefinitionError([Diagnostic(check="config", file=_source_file(flow_cls), line=line, step=None,
                                              message=f"{exc}.", hint="Fix the config or the expression.")]) from None


def _source_file(flow_cls: type) -> str:
    try:
        return inspect.getsourcefile(flow_cls) or "<unknown>"
    except TypeError:
        return "<unknown>"


def _class_line(flow_cls: type) -> int:
    try:
        return inspect.getsourcelines(flow_cls)[1]
    except (OSError, TypeError):
        return 0
