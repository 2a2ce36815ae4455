from sfnflow import FlowSpec, catch, current, retry, step
from sfnflow.exception import ExternalCommandFailed


class TestRetry(Exception):
    pass


class CatchRetryFlow(FlowSpec):
    @retry(times=3, minutes_between_retries=0)
    @step
    def start(self):
        self.test_attempt = current.retry_count
        print("stdout testing logs %d" % self.test_attempt)
        if self.test_attempt < 3:
            self.invisible = True
            raise TestRetry()
        self.next(self.middle)

    @catch(var="ex", print_exception=False)
    @retry(times=2, minutes_between_retries=0)
    @step
    def middle(self):
        self.retry_with_catch = current.retry_count
        raise TestRetry("soft death")
        self.next(self.end)

    @catch(var="end_ex", print_exception=False)
    @step
    def end(self):
        self.here = True
        raise ExternalCommandFailed("catch me!")


if __name__ == "__main__":
    CatchRetryFlow()
