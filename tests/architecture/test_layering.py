"""The package rules of DESIGN.md, checked on the import statements themselves (AST).

Every import counts, including the lazy ones inside functions: a lazy import of moto on
a Lambda code path still fails in Lambda.
"""
from __future__ import annotations

import ast
import io
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ("moto", "click", "aws_cdk", "constructs", "cdk_nag")  # never in shipped code


def imported_modules(path: Path, source: str | None = None) -> set[str]:
    """Top-level names of every absolute import in a file (relative imports stay in their package)."""
    found = set()
    text = path.read_text(encoding="utf-8") if source is None else source
    for node in ast.walk(ast.parse(text, filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def python_files(folder: str, *, skip: tuple[str, ...] = ()) -> list[Path]:
    files = sorted((ROOT / folder).rglob("*.py"))
    return [f for f in files if not any(f.is_relative_to(ROOT / s) for s in skip)]


def offenders(files: list[Path], forbidden: set[str] | None = None, allowed: set[str] | None = None) -> list[str]:
    out = []
    for path in files:
        names = imported_modules(path)
        bad = (names & forbidden) if forbidden is not None else (names - (allowed or set()))
        out += [f"{path.relative_to(ROOT)} imports {name}" for name in sorted(bad)]
    return out


def test_the_scan_sees_lazy_and_aliased_imports() -> None:
    source = "import os.path as p\nfrom . import sibling\n\ndef f():\n    from moto.core import x\n"
    assert imported_modules(Path("sample.py"), source) == {"os", "moto"}
    # and it finds what the engine really imports, so an empty answer elsewhere means something
    assert "moto" in set().union(*(imported_modules(f) for f in python_files("runtime/engine")))


def test_cdk_and_the_shipped_runtime_never_import_sfnflow() -> None:
    # cdk/app.py is an entry point, like the CLI: it may call sfnflow's deploy helpers.
    files = python_files("cdk", skip=("cdk/app.py",)) + python_files("runtime", skip=("runtime/engine",))
    assert files and offenders(files, forbidden={"sfnflow"}) == []


def test_cdk_never_imports_runtime() -> None:
    assert offenders(python_files("cdk"), forbidden={"runtime"}) == []


def test_sfn_compiler_imports_only_the_standard_library() -> None:
    allowed = set(sys.stdlib_module_names) | {"sfn_compiler", "__future__"}
    assert offenders(python_files("sfn_compiler"), allowed=allowed) == []


def test_shipped_code_imports_no_tool(tmp_path: Path) -> None:
    """What the code package really ships (runtime less its engine, sfn_compiler, sfnflow's
    shipped part, cloudpickle), scanned file by file."""
    from sfnflow.deploy.package import build_code_package

    flow = tmp_path / "tiny.py"
    flow.write_text("from sfnflow import FlowSpec, step\n\n\nclass Tiny(FlowSpec):\n"
                    "    @step\n    def start(self):\n        self.next(self.end)\n\n"
                    "    @step\n    def end(self):\n        pass\n")
    package = build_code_package(str(flow))
    archive = zipfile.ZipFile(io.BytesIO(package.data))
    shipped = [name for name in package.files if name.endswith(".py") and name != "tiny.py"]
    assert any(n.startswith("runtime/") for n in shipped) and any(n.startswith("cloudpickle/") for n in shipped)
    bad = [f"{name} imports {module}" for name in shipped
           for module in sorted(imported_modules(Path(name), archive.read(name).decode("utf-8")) & set(TOOLS))]
    assert bad == []


# Runs as source text before any package is importable (the stock-image bootstrap), so it
# spells the names itself; each must still be one task_config defines.
SELF_CONTAINED = ("runtime/stock_bootstrap.py",)


def setting_names(path: Path) -> list[tuple[int, str]]:
    """(line, name) of every string constant that is an `SFNFLOW_*` setting name."""
    return [(node.lineno, node.value) for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and node.value.startswith("SFNFLOW_") and node.value.rstrip("_").replace("_", "").isalnum()
            and node.value.upper() == node.value]


@pytest.mark.parametrize("folder", ["runtime", "sfn_compiler", "sfnflow", "cdk"])
def test_every_sfnflow_setting_name_is_spelled_in_task_config(folder: str) -> None:
    """`SFNFLOW_*` names are the task configuration's (sfn_compiler/contract/task_config.py)."""
    home = ROOT / "sfn_compiler" / "contract" / "task_config.py"
    skip = tuple(ROOT / f for f in SELF_CONTAINED)
    spelled = [f"{path.relative_to(ROOT)}:{line}: {name}" for path in python_files(folder)
               if path != home and path not in skip for line, name in setting_names(path)]
    assert spelled == []


def test_self_contained_files_spell_only_names_task_config_defines() -> None:
    from sfn_compiler.contract import task_config

    defined = {value for name, value in vars(task_config).items() if name.startswith("ENV_")}
    for file in SELF_CONTAINED:
        used = {name for _line, name in setting_names(ROOT / file)}
        assert used and used <= defined, f"{file} spells names task_config does not define: {used - defined}"
