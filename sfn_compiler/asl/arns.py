"""The one place where ARN shapes, CDK substitution placeholders and Step Functions
integration resource strings are spelled.

The compiled ASL never holds a real ARN: it holds `${Name}` placeholders that CDK fills
through `DefinitionSubstitutions` (and the local engine fills by string replacement), so
the same definition deploys to any account, Region and partition.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

# -- Step Functions service integrations (optimised and .sync forms) -------------------
LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"
BATCH_SUBMIT_JOB_SYNC = "arn:aws:states:::batch:submitJob.sync"
S3_GET_OBJECT = "arn:aws:states:::s3:getObject"  # Distributed Map ItemReader
S3_PUT_OBJECT = "arn:aws:states:::s3:putObject"  # Distributed Map ResultWriter
DYNAMODB_UPDATE_ITEM = "arn:aws:states:::dynamodb:updateItem"  # the run's end status (asl/status.py)

# -- placeholder kinds: what a deployer must substitute ---------------------------------
KIND_LAMBDA_FUNCTION = "lambda_function_arn"
KIND_JOB_QUEUE = "batch_job_queue_arn"
KIND_JOB_DEFINITION = "batch_job_definition_arn"
KIND_BUCKET = "s3_bucket_name"
KIND_TABLE = "dynamodb_table_name"

ARTIFACT_BUCKET = "ArtifactBucket"
METADATA_TABLE = "MetadataTable"

_PLACEHOLDER_RE = re.compile(r"\$\{([A-Za-z0-9_]+)\}")


@dataclass(frozen=True)
class Placeholder:
    """A `${name}` in the ASL and what it must be filled with.

    `ref` is the key of the resource in the DeploymentModel (a Lambda key, a Batch job
    definition key, a queue kind), empty for the artifact bucket and the metadata table.
    """

    name: str
    kind: str
    ref: str = ""
    doc: str = ""

    @property
    def token(self) -> str:
        return "${" + self.name + "}"


def function_placeholder(key: str) -> Placeholder:
    return Placeholder(f"Function_{key}", KIND_LAMBDA_FUNCTION, key, f"ARN of the Lambda function '{key}'")


def job_queue_placeholder(queue_kind: str) -> Placeholder:
    return Placeholder(f"JobQueue_{queue_kind}", KIND_JOB_QUEUE, queue_kind, f"ARN of the {queue_kind} Batch job queue")


def job_definition_placeholder(key: str) -> Placeholder:
    return Placeholder(f"JobDefinition_{key}", KIND_JOB_DEFINITION, key, f"ARN of the Batch job definition '{key}'")


def artifact_bucket_placeholder() -> Placeholder:
    return Placeholder(ARTIFACT_BUCKET, KIND_BUCKET, "", "name of the artifact bucket")


def metadata_table_placeholder() -> Placeholder:
    return Placeholder(METADATA_TABLE, KIND_TABLE, "", "name of the run metadata table (DynamoDB)")


def placeholders_in(text: str) -> list[str]:
    """Names of every `${...}` placeholder in a piece of ASL text, sorted, unique."""
    return sorted(set(_PLACEHOLDER_RE.findall(text)))


def substitute(text: str, values: dict[str, str]) -> str:
    """Fill `${name}` placeholders (what CloudFormation's DefinitionSubstitutions does).

    Raises KeyError naming the first placeholder without a value.
    """
    missing = [n for n in placeholders_in(text) if n not in values]
    if missing:
        raise KeyError(f"no value for placeholder(s): {', '.join(missing)}")
    return _PLACEHOLDER_RE.sub(lambda m: values[m.group(1)], text)


# -- ARN shapes (for the local engine and the client; CDK builds its own tokens) --------
def lambda_function_arn(region: str, account: str, name: str, partition: str = "aws") -> str:
    return f"arn:{partition}:lambda:{region}:{account}:function:{name}"


def job_queue_arn(region: str, account: str, name: str, partition: str = "aws") -> str:
    return f"arn:{partition}:batch:{region}:{account}:job-queue/{name}"


def job_definition_arn(region: str, account: str, name: str, revision: int = 1, partition: str = "aws") -> str:
    return f"arn:{partition}:batch:{region}:{account}:job-definition/{name}:{revision}"


def state_machine_arn(region: str, account: str, name: str, partition: str = "aws") -> str:
    return f"arn:{partition}:states:{region}:{account}:stateMachine:{name}"


def execution_arn(region: str, account: str, state_machine: str, execution: str, partition: str = "aws") -> str:
    return f"arn:{partition}:states:{region}:{account}:execution:{state_machine}:{execution}"


def execution_console_url(region: str, execution_arn_value: str) -> str:
    return (f"https://{region}.console.aws.amazon.com/states/home?region={region}"
            f"#/v2/executions/details/{execution_arn_value}")
