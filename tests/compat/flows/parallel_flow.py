from sfnflow import FlowSpec, current, parallel, step


class ParallelCompatFlow(FlowSpec):
    @step
    def start(self):
        self.my_node_index = None
        self.next(self.parallel_inner, num_parallel=4)

    @parallel
    @step
    def parallel_inner(self):
        self.num_nodes = current.parallel.num_nodes
        self.my_node_index = current.parallel.node_index
        self.input_is_index = self.input == self.my_node_index
        self.main_ip = current.parallel.main_ip
        self.next(self.parallel_join)

    @step
    def parallel_join(self, inputs):
        self.got = sorted(inp.my_node_index for inp in inputs)
        self.all_inputs = all(inp.input_is_index for inp in inputs)
        self.nodes = {inp.num_nodes for inp in inputs}
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    ParallelCompatFlow()
