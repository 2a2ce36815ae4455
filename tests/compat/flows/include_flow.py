from sfnflow import FlowSpec, IncludeFile, step


class IncludeCompatFlow(FlowSpec):
    text = IncludeFile("text", default="data/latin1.txt", encoding="latin-1")
    blob = IncludeFile("blob", default="data/blob.bin", is_text=False)
    missing_ok = IncludeFile("missing_ok", required=False)

    @step
    def start(self):
        self.seen = (self.text, self.blob, self.missing_ok)
        self.next(self.end)

    @step
    def end(self):
        print(repr(self.text))


if __name__ == "__main__":
    IncludeCompatFlow()
