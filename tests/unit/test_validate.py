"""validate: each check against its invalid flow (tests/invalid/<check>.py, found by glob),
the examples (which must be clean), several problems reported at once, and the limits
at their boundaries."""
from __future__ import annotations

import re
import textwrap
import time
from pathlib import Path

import pytest

from sfn_compiler.diagnostics import Diagnostic, FlowDefinitionError
from sfn_compiler.graph.checks.schedule import cron_problem, rate_problem
from sfn_compiler.compile import check_file
from sfn_compiler.graph.validate import CHECK_NAMES

ROOT = Path(__file__).resolve().parents[2]
INVALID = sorted(p for p in (ROOT / "tests" / "invalid").glob("*.py") if p.name != "conftest.py")
EXAMPLES = sorted(p for p in (ROOT / "examples").glob("*.py") if not p.name.startswith("_"))
EXPECT = re.compile(r"#\s*expect:\s*(\d+):\s*(.+?)\s*$")


def expectations(path: Path) -> list[tuple[int, str]]:
    found = []
    for line in path.read_text().splitlines():
        match = EXPECT.match(line)
        if not match:
            break
        found.append((int(match.group(1)), match.group(2)))
    return found


def assert_well_formed(diags: list[Diagnostic]) -> None:
    for d in diags:
        assert d.line > 0, f"no line: {d}"
        assert d.message.endswith(".") and d.hint.endswith((".", "?")), f"not two sentences: {d}"
        assert d.check in CHECK_NAMES
    assert [d.line for d in diags] == sorted(d.line for d in diags)


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_flow_reports_its_problem(path: Path) -> None:
    expected = expectations(path)
    assert expected, f"{path.name} must start with `# expect: <line>: <message>`"
    graph, diags = check_file(str(path))
    rendered = [(d.line, str(d)) for d in diags]
    for line, text in expected:
        assert any(l == line and text in r for l, r in rendered), f"missing {line}: {text}\ngot: {rendered}"
    # Exactly these: a consequence of the same mistake reported twice is noise.
    assert len(diags) == len(expected), f"unexpected extra diagnostics: {rendered}"
    assert path.stem.replace("_", "-") in {d.check for d in diags}
    assert all(str(d).startswith(f"{graph.source_file}:{d.line}: ") for d in diags)
    assert_well_formed(diags)


def test_every_check_has_an_invalid_flow() -> None:
    assert sorted(CHECK_NAMES) == sorted(p.stem.replace("_", "-") for p in INVALID)


@pytest.mark.parametrize(
    "path", EXAMPLES or [pytest.param(None, marks=pytest.mark.skip(reason="examples/ is empty"))],
    ids=lambda p: getattr(p, "stem", "none"),
)
def test_example_is_clean(path: Path) -> None:
    _, diags = check_file(str(path))
    assert [str(d) for d in diags] == []


def write(tmp_path: Path, name: str, body: str) -> str:
    path = tmp_path / f"validate_{name}.py"
    path.write_text(textwrap.dedent(body))
    return str(path)


MANY_PROBLEMS = """\
    from sfnflow import FlowSpec, Parameter, aws_lambda, retry, schedule, step

    @schedule(rate="2 hour")
    class ManyProblems(FlowSpec):
        end_value = Parameter("start", default=1)

        @aws_lambda(memory=64)
        @step
        def start(self):
            self.next(self.procces)

        @retry(times=-1)
        @step
        def process(self):
            self.next(self.name)

        @step
        def name(self):
            self.next(self.end)

        @step
        def end(self):
            pass
    """


def test_all_problems_reported_at_once(tmp_path: Path) -> None:
    _, diags = check_file(write(tmp_path, "many", MANY_PROBLEMS))
    found = {(d.check, d.line, d.step) for d in diags}
    assert found == {
        ("schedule-expression", 3, None),
        ("parameter-name", 5, None),
        ("unknown-target", 10, "start"),
        ("lambda-limits", 9, "start"),
        ("retry-limit", 14, "process"),
        ("step-name", 18, "name"),
    }
    assert_well_formed(diags)
    assert "Did you mean `self.process`?" in str(next(d for d in diags if d.check == "unknown-target"))
    assert "needs 'hours' with 2" in str(diags[0])


def test_rendering_is_what_where_fix(tmp_path: Path) -> None:
    _, diags = check_file(write(tmp_path, "render", """\
        from sfnflow import FlowSpec, step

        class Render(FlowSpec):
            @step
            def start(self):
                self.next(self.join)

            @step
            def join(self, inputs):
                self.next(self.end)

            @step
            def end(self):
                pass
        """))
    assert [str(d) for d in diags] == [
        f"{tmp_path / 'validate_render.py'}:9: step 'join': takes `inputs` but no split leads to it. "
        + "Add a split before 'join' or drop the `inputs` argument."
    ]


LIMITS = """\
    from sfnflow import FlowSpec, aws_lambda, batch, resources, retry, step, timeout

    class Limits(FlowSpec):
        {decorators}
        @step
        def start(self):
            self.next(self.end)

        @step
        def end(self):
            pass
    """


@pytest.mark.parametrize("decorators, check", [
    ("@aws_lambda(memory=128, timeout=900)", None),
    ("@aws_lambda(memory=10240)", None),
    ("@aws_lambda(memory=127)", "lambda-limits"),
    ("@aws_lambda(memory=10241)", "lambda-limits"),
    ("@aws_lambda(timeout=901)", "lambda-limits"),
    ("@aws_lambda(architecture='arm64')", None),
    ("@aws_lambda(architecture='sparc')", "lambda-limits"),
    ("@timeout(seconds=900)", None),
    ("@timeout(seconds=901)", None),  # over 15 minutes: the step goes to Batch
    ("@aws_lambda|@timeout(seconds=901)", "timeout-limit"),
    ("@resources(gpu=1)|@timeout(hours=3)", None),  # a GPU sends the step to Batch
    ("@resources(memory=20000)|@timeout(hours=3)", None),
    ("@resources(memory=4096)|@timeout(hours=3)", None),
    ("@aws_lambda|@resources(memory=4096)|@timeout(hours=3)", "timeout-limit"),
    ("@batch|@timeout(hours=3)", None),
    ("@timeout(hours=24 * 366)", "timeout-limit"),
    ("@timeout(seconds=-5)", "timeout-limit"),
    ("@aws_lambda|@resources(memory=16384)", "lambda-resources"),
    ("@aws_lambda|@resources(cpu=8)", "lambda-resources"),
    ("@aws_lambda|@resources(cpu=2, memory=4096)", None),
    ("@resources(cpu=0)", "resource-values"),
    ("@batch(memory=-1)", "resource-values"),
    ("@batch(gpu=0.5)", "resource-values"),
    ("@retry(times=10)", None),
    ("@retry(times=0)", None),
    ("@retry(times=-1)", "retry-limit"),
    ("@retry(minutes_between_retries=-1)", "retry-limit"),
    ("@timeout(minutes=1)|@timeout(minutes=2)", "duplicate-decorator"),
])
def test_limits(tmp_path: Path, decorators: str, check: str | None) -> None:
    source = textwrap.dedent(LIMITS).format(decorators=decorators.replace("|", "\n    "))
    _, diags = check_file(write(tmp_path, "limits", source))
    assert [d.check for d in diags] == ([check] if check else []), [str(d) for d in diags]


@pytest.mark.parametrize("body, ok", [
    ("0 3 * * ? *", True), ("0/15 8-18 ? * MON-FRI *", True), ("0 12 L * ? 2030", True),
    ("0 3 * * *", False), ("0 3 * * * *", False), ("0 3 ? * ? *", False), ("0 ? * * ? *", False),
    ("0 3 * * ? * *", False), ("0 3 * * ? {}", False),
])
def test_cron(body: str, ok: bool) -> None:
    assert (cron_problem(body) is None) is ok


@pytest.mark.parametrize("body, ok", [
    ("1 hour", True), ("5 minutes", True), ("1 day", True), ("12 hours", True),
    ("1 hours", False), ("5 minute", False), ("0 minutes", False), ("an hour", False), ("2 weeks", False),
])
def test_rate(body: str, ok: bool) -> None:
    assert (rate_problem(body) is None) is ok


def test_unix_cron_hint_converts_it() -> None:
    assert cron_problem("30 2 * * 1")[1].endswith('e.g. "30 2 ? * 1 *".')


def test_cycle_through_a_split_ends_and_is_reported(tmp_path: Path) -> None:
    _, diags = check_file(write(tmp_path, "loop", """\
        from sfnflow import FlowSpec, step

        class Loop(FlowSpec):
            @step
            def start(self):
                self.next(self.a, self.b)

            @step
            def a(self):
                self.next(self.join)

            @step
            def b(self):
                self.next(self.join)

            @step
            def join(self, inputs):
                self.next(self.start)

            @step
            def end(self):
                pass
        """))
    assert ("cycle", 18, "join") in {(d.check, d.line, d.step) for d in diags}
    assert "(start -> a -> join -> start)" in str(next(d for d in diags if d.check == "cycle"))


def test_wide_and_deep_flow_validates_fast(tmp_path: Path) -> None:
    # 8 nested three-way splits: 3**8 paths reach the innermost steps, which the walk
    # must not enumerate one by one.
    depth, lines = 8, ["from sfnflow import FlowSpec, step", "", "class Deep(FlowSpec):"]

    def add(name: str, args: str, nxt: str) -> None:
        lines.extend(["    @step", f"    def {name}(self{args}):", f"        {nxt}", ""])

    add("start", "", "self.next(self.s0)")
    for i in range(depth):
        add(f"s{i}", "", f"self.next(self.a{i}, self.b{i}, self.c{i})")
        for br in "abc":
            add(f"{br}{i}", "", f"self.next(self.s{i + 1})" if br == "a" and i + 1 < depth else f"self.next(self.j{i})")
        add(f"j{i}", ", inputs", f"self.next(self.{'j' + str(i - 1) if i else 'end'})")
    add("end", "", "pass")
    path = tmp_path / "validate_deep.py"
    path.write_text("\n".join(lines))
    began = time.perf_counter()
    _, diags = check_file(str(path))
    assert time.perf_counter() - began < 2.0
    assert [str(d) for d in diags] == []


def test_load_errors_propagate(tmp_path: Path) -> None:
    with pytest.raises(FlowDefinitionError, match="no flow file"):
        check_file(str(tmp_path / "missing.py"))
    with pytest.raises(FlowDefinitionError, match="syntax error"):
        check_file(write(tmp_path, "syntax", "class Broken(:\n"))
