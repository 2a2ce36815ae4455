import logging
import os

from sfnflow import FlowSpec, step


class MainBlockFlow(FlowSpec):
    @step
    def start(self):
        self.items = [1, 2, 3]
        self.next(self.body, foreach="items")

    @step
    def body(self):
        self.saw_setup = os.environ.get("MAIN_BLOCK_SETUP") == "done"
        self.level = logging.getLogger("main_block").level
        self.next(self.join)

    @step
    def join(self, inputs):
        self.all_saw_setup = all(i.saw_setup for i in inputs)
        self.levels = sorted({i.level for i in inputs})
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    os.environ["MAIN_BLOCK_SETUP"] = "done"
    logging.getLogger("main_block").setLevel(logging.DEBUG)
    with open(os.environ["MAIN_BLOCK_LOG"], "a") as marker:
        marker.write(f"{os.getpid()}\n")
    MainBlockFlow()
    with open(os.environ["MAIN_BLOCK_LOG"], "a") as marker:
        marker.write("after the flow call\n")
