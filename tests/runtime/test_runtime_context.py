"""The task context: lazy reads, in-place mutation, join inputs, current, logs."""
from __future__ import annotations

from runtime.task import run_task
from sfn_compiler.dsl import current
from sfn_compiler.contract.envelope import TaskEnvelope

MUTATE = """
    import os

    class MutateFlow(FlowSpec):
        @step
        def start(self):
            self.lst = [1]
            self.same = {"k": 1}
            self.untouched = "u" * 1000
            self.gen = None  # GEN
            self.next(self.grow)

        @environment(vars={"RT_TEST_VAR": "on"})
        @step
        def grow(self):
            self.lst.append(2)             # mutated in place: must be stored again
            assert self.same["k"] == 1     # read, unchanged: stays a reference
            self.env_var = os.environ.get("RT_TEST_VAR")
            self.who = (current.flow_name, current.run_id, current.step_name, current.task_id,
                        current.retry_count, current.is_running_locally, current.pathspec)
            print("to stdout")
            import sys
            print("to stderr", file=sys.stderr)
            self.next(self.end)

        @step
        def end(self):
            self.seen = (self.lst, hasattr(self, "nothing"), getattr(self, "nothing", 7))
"""


def _run_linear(env, run, steps):
    for step in steps:
        run_task(TaskEnvelope(flow=env.cache.get(env.flow_file).plan.graph.name, step=step, run=run, task="0"), env)


def test_mutation_in_place_is_stored_and_unchanged_reads_stay_references(make_env, artifact):
    env = make_env("mutate", MUTATE)
    _run_linear(env, "m", ["start", "grow", "end"])
    start = env.artifacts.get_index("MutateFlow", "m", "start", "0").artifacts
    grow = env.artifacts.get_index("MutateFlow", "m", "grow", "0").artifacts
    assert grow["lst"] != start["lst"] and artifact(env, "m", "grow", "0", "lst") == [1, 2]
    assert grow["same"] == start["same"] and grow["untouched"] == start["untouched"]
    assert artifact(env, "m", "end", "0", "seen") == ([1, 2], False, 7)
    assert artifact(env, "m", "grow", "0", "env_var") == "on"
    assert artifact(env, "m", "grow", "0", "who") == ("MutateFlow", "m", "grow", "0", 0, True, "MutateFlow/m/grow/0")
    assert current.flow_name is None  # cleared after the task


def test_foreach_over_a_generator_is_materialised(make_env, artifact):
    env = make_env("mutate", MUTATE.replace("None  # GEN", '(c for c in "xyz")')
                   .replace('self.next(self.grow)', 'self.next(self.grow, foreach="gen")')
                   .replace("self.next(self.end)", "self.next(self.join)")
                   .replace("        @step\n        def end(self):",
                            "        @step\n        def join(self, inputs):\n"
                            "            self.letters = [i.input_seen for i in inputs]\n"
                            "            self.next(self.end)\n\n        @step\n        def end(self):")
                   .replace("self.lst.append(2)", "self.input_seen = self.input; self.lst.append(2)")
                   .replace("self.seen = (self.lst,", "self.seen = (self.letters,"))
    result = run_task(TaskEnvelope(flow="MutateFlow", step="start", run="g", task="0", inline_max=5), env)
    assert result == {"n": 3, "items": ["0", "1", "2"]}
    assert artifact(env, "g", "start", "0", "gen") == ["x", "y", "z"]
    for task in result["items"]:
        run_task(TaskEnvelope(flow="MutateFlow", step="grow", run="g", task=task), env)
    run_task(TaskEnvelope(flow="MutateFlow", step="join", run="g", task="0"), env)
    assert artifact(env, "g", "join", "0", "letters") == ["x", "y", "z"]


def test_logs_are_captured_and_optionally_teed(make_env, capsys):
    env = make_env("mutate", MUTATE)
    _run_linear(env, "l", ["start", "grow"])
    assert env.artifacts.get_log("MutateFlow", "l", "grow", "0", 0, "stdout") == b"to stdout\n"
    assert env.artifacts.get_log("MutateFlow", "l", "grow", "0", 0, "stderr") == b"to stderr\n"
    assert "to stdout" not in capsys.readouterr().out
    teed = make_env(env.flow_file, tee=True)
    _run_linear(teed, "l2", ["start", "grow"])
    captured = capsys.readouterr()
    assert "to stdout" in captured.out and "to stderr" in captured.err


JOIN = """
    class JoinFlow(FlowSpec):
        @step
        def start(self):
            self.shared = [1, 2]
            self.next(self.a, self.b, self.c)

        @step
        def a(self):
            self.v = 1
            self.next(self.join)

        @step
        def b(self):
            self.v = 2
            self.next(self.join)

        @step
        def c(self):
            self.v = 3
            self.only_c = "c"
            self.next(self.join)

        @catch(var="oops")
        @step
        def join(self, inputs):
            self.n = len(inputs)
            self.second = inputs[1].v
            self.by_name = inputs.c.only_c
            self.missing_in_join = hasattr(self, "shared")
            self.v = 0
            self.merge_artifacts(inputs, include=["shared", "only_c"])
            self.after_merge = self.shared + [3]
            if FAIL:
                raise KeyError("join broke")
            self.next(self.end)

        @step
        def end(self):
            pass

    FAIL = False
"""


def test_join_inputs_and_merge_include(make_env, drive, artifact):
    env = make_env("join", JOIN)
    run = drive(env).run()
    assert artifact(env, run, "join", "0", "n") == 3
    assert artifact(env, run, "join", "0", "second") == 2
    assert artifact(env, run, "join", "0", "by_name") == "c"
    assert artifact(env, run, "join", "0", "missing_in_join") is False
    assert artifact(env, run, "join", "0", "after_merge") == [1, 2, 3]
    index = env.artifacts.get_index("JoinFlow", run, "join", "0").artifacts
    assert index["only_c"] == env.artifacts.get_index("JoinFlow", run, "c", "0").artifacts["only_c"]
    assert artifact(env, run, "end", "0", "v") == 0


def test_caught_join_passes_on_what_inputs_agree_on(make_env, drive, artifact):
    env = make_env("join", JOIN.replace("FAIL = False", "FAIL = True"))
    run = drive(env).run()
    index = env.artifacts.get_index("JoinFlow", run, "join", "0").artifacts
    # As in Metaflow, a caught task passes on what it had set (and merged) before it raised.
    assert set(index) == {"n", "second", "by_name", "missing_in_join", "v", "shared", "only_c", "after_merge", "oops"}
    assert artifact(env, run, "join", "0", "after_merge") == [1, 2, 3]
    assert artifact(env, run, "join", "0", "oops").type == "builtins.KeyError"
