from sfnflow import FlowSpec, Parameter, step


def context_default(ctx):
    return "|".join([ctx.flow_name, ctx.user_name, ctx.parameter_name, str(callable(ctx.logger)), ctx.ds_type])


class ParametersCompatFlow(FlowSpec):
    list_param = Parameter("list_param", separator=",", default="a,b,c")
    no_default_param = Parameter("no_default_param", type=str)
    from_context = Parameter("from_context", default=context_default)
    inp = Parameter("input", default="in")
    int_param = Parameter("int_param", default=7)

    @step
    def start(self):
        try:
            self.int_param = 5
            self.assigned = "no error"
        except AttributeError:
            self.assigned = "AttributeError"
        self.seen = (self.list_param, self.no_default_param, self.inp, self.int_param)
        self.next(self.end)

    @step
    def end(self):
        print(self.seen)


if __name__ == "__main__":
    ParametersCompatFlow()
