"""`destroy` reports what happened to the stack, judged by what is left, not by AWS's error."""
from __future__ import annotations

from typing import Any

import botocore.exceptions as bx
import pytest

from sfnflow.deploy.errors import DeployError
from sfnflow.deploy.stacks import delete_stack


class FakeCfn:
    """Just enough CloudFormation: DeleteStack fails with DependencyViolation; afterwards
    the stack is gone (as moto leaves it) or still there in DELETE_FAILED."""

    def __init__(self, gone_afterwards: bool) -> None:
        self.gone_afterwards, self.deleted = gone_afterwards, False

    def describe_stacks(self, StackName: str) -> dict[str, Any]:
        if self.deleted and self.gone_afterwards:
            raise bx.ClientError({"Error": {"Code": "ValidationError", "Message": f"Stack {StackName} does not exist"}},
                                 "DescribeStacks")
        status = "DELETE_FAILED" if self.deleted else "CREATE_COMPLETE"
        return {"Stacks": [{"StackName": "F", "StackId": "arn:stack/F/1", "StackStatus": status}]}

    def describe_stack_events(self, StackName: str) -> dict[str, Any]:
        return {"StackEvents": []}

    def delete_stack(self, StackName: str) -> None:
        self.deleted = True
        raise bx.ClientError({"Error": {"Code": "DependencyViolation",
                                        "Message": "The vpc 'vpc-1' has dependencies and cannot be deleted."}},
                             "DeleteStack")


def test_an_error_while_deleting_a_stack_that_is_gone_is_a_deletion_with_a_warning() -> None:
    result = delete_stack(FakeCfn(gone_afterwards=True), "F", on_event=lambda line: None, poll=0)
    assert result.action == "deleted"
    assert "the stack is gone" in result.warning and "DependencyViolation" in result.warning


def test_a_stack_left_behind_names_its_state_and_what_to_do() -> None:
    with pytest.raises(DeployError) as caught:
        delete_stack(FakeCfn(gone_afterwards=False), "F", on_event=lambda line: None, poll=0)
    message = str(caught.value)
    assert message.startswith("stack F was not deleted (it is DELETE_FAILED): ")
    assert "DependencyViolation" in message and "run destroy again" in message
