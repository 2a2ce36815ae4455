"""Filling placeholders: every kind from the deployer's own names, every gap named."""
import json

import pytest

from sfn_compiler.asl import arns
from sfn_compiler.contract.placeholders import ResourceNames, fill_definition, placeholder_values

PLACEHOLDERS = (
    arns.artifact_bucket_placeholder(), arns.metadata_table_placeholder(),
    arns.function_placeholder("default"), arns.job_queue_placeholder("gpu"),
    arns.job_definition_placeholder("cpu1_mem4096"),
)
NAMES = ResourceNames(bucket="b", table="t", functions={"default": "fn-arn"}, job_queues={"gpu": "q-arn"},
                      job_definitions={"cpu1_mem4096": "jd-arn"})


def test_each_kind_is_filled_from_its_own_mapping():
    assert placeholder_values(PLACEHOLDERS, NAMES) == {
        "ArtifactBucket": "b", "MetadataTable": "t", "Function_default": "fn-arn",
        "JobQueue_gpu": "q-arn", "JobDefinition_cpu1_mem4096": "jd-arn"}


def test_every_missing_resource_is_named():
    with pytest.raises(ValueError) as info:
        placeholder_values(PLACEHOLDERS, ResourceNames(bucket="b", table="t"))
    message = str(info.value)
    for name in ("Function_default", "JobQueue_gpu", "JobDefinition_cpu1_mem4096"):
        assert name in message


def test_fill_definition_substitutes_and_refuses_undescribed_placeholders():
    text = json.dumps({"Resource": "${Function_default}", "Bucket": "${ArtifactBucket}"})
    assert json.loads(fill_definition(text, PLACEHOLDERS[:3], NAMES)) == {"Resource": "fn-arn", "Bucket": "b"}
    with pytest.raises(ValueError, match=r"\$\{Other\}"):
        fill_definition(text + "${Other}", PLACEHOLDERS[:3], NAMES)
