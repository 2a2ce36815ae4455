"""@parallel / `self.next(self.x, num_parallel=N)`: N tasks with Metaflow's current.parallel.

Expected values: Metaflow 2.19.39 run here on the same flow
(`python tests/compat/metaflow_reference.py parallel_flow`, 2026-12-01): 4 parallel_inner tasks,
node indices [0, 1, 2, 3], num_nodes 4, self.input == node_index, main_ip '127.0.0.1' locally.
(Metaflow's task ids there are '2', '2_node_1', ...; sfnflow's are positions '0'..'3'.)
"""
from __future__ import annotations

from compatrun import task_counts

from sfn_compiler.compile import compile_file
from sfn_compiler.diagnostics import FlowDefinitionError
from compatrun import FLOWS


def test_parallel_runs_n_tasks_that_know_their_place(run_compat) -> None:
    run = run_compat("parallel_flow")
    assert run.successful
    assert task_counts(run) == {"start": 1, "parallel_inner": 4, "parallel_join": 1, "end": 1}
    data = run.data
    assert data.got == [0, 1, 2, 3] and data.all_inputs is True and data.nodes == {4}
    inner = {t.id: t.data for t in run["parallel_inner"]}
    assert sorted(inner) == ["0", "1", "2", "3"]
    assert {d.main_ip for d in inner.values()} == {"127.0.0.1"}
    assert all(d.my_node_index == int(tid) for tid, d in inner.items())


def test_parallel_on_batch_is_refused_with_one_sentence(tmp_path) -> None:
    source = (FLOWS / "parallel_flow.py").read_text().replace("    @parallel\n", "    @batch(cpu=2)\n    @parallel\n")
    source = source.replace("import FlowSpec, current, parallel, step", "import FlowSpec, batch, current, parallel, step")
    path = tmp_path / "parallel_batch_flow.py"
    path.write_text(source)
    try:
        compile_file(str(path))
    except FlowDefinitionError as exc:
        text = str(exc.diagnostics[0])
        assert "multi-node parallel job" in text and "parallel_inner" in text
    else:
        raise AssertionError("a Batch @parallel step compiled")
