"""A flow that keeps data with Metaflow's S3 client, run-scoped (S3(run=self)): the same
file runs locally (objects under the local store) and deployed (the datastore bucket)."""
import os
import tempfile

from sfnflow import S3, FlowSpec, step


class S3Flow(FlowSpec):
    @step
    def start(self):
        with S3(run=self) as s3:
            self.url = s3.put("greeting.txt", "hello", content_type="text/plain", metadata={"lang": "en"})
            s3.put_many([("parts/0", b"zero"), ("parts/1", "one")])
            with tempfile.TemporaryDirectory() as folder:
                path = os.path.join(folder, "table.csv")
                with open(path, "w") as out:
                    out.write("a,b\n1,2\n")
                s3.put_files([("files/table.csv", path)])
        self.parts = ["parts/0", "parts/1"]
        self.next(self.read, foreach="parts")

    @step
    def read(self):
        with S3(run=self) as s3:
            self.text = s3.get(self.input).text
        self.next(self.join)

    @step
    def join(self, inputs):
        self.texts = [i.text for i in inputs]
        self.next(self.end)

    @step
    def end(self):
        with S3(run=self) as s3:
            self.listing = sorted((o.key, o.exists) for o in s3.list_paths())
            self.everything = sorted((o.key, o.blob) for o in s3.get_all())
            greeting = s3.get("greeting.txt")
            self.greeting = (greeting.text, greeting.content_type, greeting.metadata)


if __name__ == "__main__":
    S3Flow()
