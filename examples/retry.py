"""@retry: a flaky step fails on its first attempt and succeeds on the second."""
from sfnflow import FlowSpec, current, retry, step


class RetryFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.flaky)

    @retry(times=2, minutes_between_retries=0)
    @step
    def flaky(self):
        if current.retry_count == 0:
            raise ConnectionError("the first attempt always fails")
        self.attempts = current.retry_count + 1  # 2
        self.next(self.end)

    @step
    def end(self):
        print("succeeded after", self.attempts, "attempts")


if __name__ == "__main__":
    RetryFlow()
