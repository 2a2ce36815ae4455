"""The flow the operate tests deploy: parameters, a Lambda foreach, a Batch join, a run
that reads an earlier run through Flow(...), a data file read by relative path, and every
kind of start (schedule, named event, S3 object, another flow's success).

A test breaks item i by putting `switches/broken-<i>` into the datastore bucket (a
transient fault), and mends it by deleting that object, then resumes.
"""
import csv
import os

from sfnflow import Flow, FlowSpec, Parameter, batch, s3_object_created, schedule, step, trigger, trigger_on_finish


def broken(item):
    import boto3
    import botocore.exceptions

    try:
        boto3.client("s3").head_object(Bucket=os.environ["SFNFLOW_BUCKET"], Key=f"switches/broken-{item}")
        return True
    except botocore.exceptions.ClientError:
        return False


@schedule(hourly=True)
@trigger(events=[{"name": "operate_now", "parameters": {"n": "count"}},
                 s3_object_created("incoming-data", prefix="drop/", parameters={"label": "object.key"})])
@trigger_on_finish(flow="UpstreamFlow", parameters={"label": "name"})
class OperateFlow(FlowSpec):
    n = Parameter("n", default=2, help="how many items")
    label = Parameter("label", default="manual")

    @step
    def start(self):
        self.items = list(range(self.n))
        print(f"start: {self.n} items, label {self.label}")
        self.next(self.square, foreach="items")

    @step
    def square(self):
        if broken(self.input):
            raise RuntimeError(f"item {self.input} is broken")
        self.value = self.input ** 2
        print(f"square {self.input} -> {self.value}")
        self.next(self.join)

    @batch(cpu=1, memory=2048)
    @step
    def join(self, inputs):
        self.total = sum(i.value for i in inputs)
        print(f"join: total {self.total}")
        self.next(self.end)

    @step
    def end(self):
        with open("operate_data/weights.csv") as fh:  # packaged with --package-suffixes=.csv
            self.weights = {row["name"]: float(row["weight"]) for row in csv.DictReader(fh)}
        earlier = Flow("OperateFlow").latest_successful_run
        self.previous_total = earlier.data.total if earlier is not None else None
        print(f"end: total {self.total}, previous {self.previous_total}, weights {self.weights}")


if __name__ == "__main__":
    OperateFlow()
