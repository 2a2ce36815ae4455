import os

from sfnflow import Config, FlowSpec, Parameter, config_expr, current, environment, retry, step


class ConfigCompatFlow(FlowSpec):
    config = Config("config", default="data/config.json")
    extra = Config("extra", default_value={"label": "default-label"})
    beta = Parameter("beta", default=config.alpha)

    @retry(times=config.retries, minutes_between_retries=0)
    @environment(vars={"MODE": config_expr("config.mode.upper()")})
    @step
    def start(self):
        self.attempt = current.retry_count
        if current.retry_count < 1:
            raise RuntimeError("fail once")
        self.seen = {"alpha": self.config.alpha, "item": self.config["mode"], "nested": self.config.nested.k,
                     "mode_env": os.environ.get("MODE"), "label": self.extra.label, "beta": self.beta,
                     "as_dict": dict(self.config)["retries"]}
        try:
            self.config = {"x": 1}
            self.assigned = "no error"
        except AttributeError:
            self.assigned = "AttributeError"
        self.next(self.end)

    @step
    def end(self):
        self.end_alpha = self.config.alpha


if __name__ == "__main__":
    ConfigCompatFlow()
