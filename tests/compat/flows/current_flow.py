from sfnflow import FlowSpec, Parameter, current, step


class CurrentCompatFlow(FlowSpec):
    alpha = Parameter("alpha", default=1)

    @step
    def start(self):
        self.fields = {
            "username": current.username, "namespace": current.namespace,
            "parameter_names": list(current.parameter_names), "step_name": current.step_name,
            "pathspec_parts": current.pathspec.split("/")[::2], "tags_is_set": isinstance(current.tags, (set, frozenset)),
            "user_tag": f"user:{current.username}" in current.tags, "is_running_flow": current.is_running_flow,
        }
        self.run_pathspec = current.run.pathspec
        self.task_pathspec = current.task.pathspec
        self.graph_types = {name: s["type"] for name, s in current.graph["steps"].items()}
        self.graph_next = {name: s["next"] for name, s in current.graph["steps"].items()}
        self.next(self.middle)

    @step
    def middle(self):
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    CurrentCompatFlow()
