"""Parameters of every type, each with a default (one computed by a function)."""
from sfnflow import FlowSpec, JSONType, Parameter, step


def default_greeting(context):
    return "hello"


class ParametersFlow(FlowSpec):
    who = Parameter("who", default="world", help="who to greet")
    count = Parameter("count", default=2, help="how many times")
    ratio = Parameter("ratio", default=0.5)
    loud = Parameter("loud", default=False, type=bool)
    config = Parameter("config", default='{"sep": ", "}', type=JSONType)
    greeting = Parameter("greeting", default=default_greeting)

    @step
    def start(self):
        words = [f"{self.greeting} {self.who}"] * self.count
        self.message = self.config["sep"].join(words)
        if self.loud:
            self.message = self.message.upper()
        self.scaled = self.count * self.ratio  # 1.0
        self.next(self.end)

    @step
    def end(self):
        print(self.message)  # hello world, hello world


if __name__ == "__main__":
    ParametersFlow()
