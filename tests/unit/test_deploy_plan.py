"""Deploy decisions without CloudFormation (sfnflow/deploy/plan.py): state + templates -> plan."""
from __future__ import annotations

from typing import Any

from sfnflow.deploy.plan import AssetPlan, ResourceChange, StackState, plan_deploy, plan_stack


def _template(**resources: dict[str, Any]) -> dict[str, Any]:
    return {"Resources": resources}


FN = {"Type": "AWS::Lambda::Function", "Properties": {"Code": {"S3Key": "code/a.zip"}, "MemorySize": 1024}}
ROLE = {"Type": "AWS::IAM::Role", "Properties": {"Path": "/"}}
QUEUE = {"Type": "AWS::Batch::JobQueue", "Properties": {"Priority": 1}}


def test_an_absent_stack_is_created_with_every_resource() -> None:
    plan = plan_stack("F", StackState.absent(), _template(Fn=FN, Role=ROLE))
    assert plan.action == "create" and plan.changed
    assert [(c.logical_id, c.type, c.action) for c in plan.changes] == [
        ("Fn", "AWS::Lambda::Function", "add"), ("Role", "AWS::IAM::Role", "add")]


def test_an_equal_template_is_unchanged() -> None:
    state = StackState(True, "UPDATE_COMPLETE", _template(Fn=FN), {"CodeKey": "code/a.zip"})
    plan = plan_stack("F", state, _template(Fn=FN))
    assert plan.action == "unchanged" and not plan.changed and plan.changes == ()


def test_an_update_names_each_change_and_the_properties_that_differ() -> None:
    new_fn = {**FN, "Properties": {**FN["Properties"], "Code": {"S3Key": "code/b.zip"}}}
    state = StackState(True, "CREATE_COMPLETE", _template(Fn=FN, Role=ROLE))
    plan = plan_stack("F", state, _template(Fn=new_fn, Queue=QUEUE))
    assert plan.action == "update"
    assert plan.changes == (ResourceChange("Queue", "AWS::Batch::JobQueue", "add"),
                            ResourceChange("Fn", "AWS::Lambda::Function", "modify", ("Code",)),
                            ResourceChange("Role", "AWS::IAM::Role", "remove"))
    lines = plan.lines()
    assert lines[0] == "stack F: update"
    assert lines[2].split() == ["~", "Fn", "AWS::Lambda::Function", "(Code)"]


def test_a_change_outside_properties_is_named_too() -> None:
    retained = {**ROLE, "DeletionPolicy": "Retain"}
    plan = plan_stack("F", StackState(True, "UPDATE_COMPLETE", _template(Role=ROLE)), _template(Role=retained))
    assert plan.changes[0].properties == ("DeletionPolicy",)


def test_a_failed_first_create_is_recreated() -> None:
    plan = plan_stack("F", StackState(True, "ROLLBACK_COMPLETE"), _template(Fn=FN))
    assert plan.action == "recreate" and plan.changes[0].action == "add"


def test_busy_or_broken_stacks_are_refused_with_what_to_do() -> None:
    busy = plan_stack("F", StackState(True, "UPDATE_IN_PROGRESS"), _template(Fn=FN))
    assert busy.action == "blocked" and "wait for it to finish" in busy.reason
    broken = plan_stack("F", StackState(True, "UPDATE_ROLLBACK_FAILED", _template(Fn=FN)), _template(Fn=FN))
    assert broken.action == "blocked" and "CloudFormation console" in broken.reason
    assert broken.lines()[0].startswith("stack F: cannot deploy: it is in UPDATE_ROLLBACK_FAILED")


def test_replacements_from_a_change_set_are_shown() -> None:
    new_fn = {**FN, "Properties": {**FN["Properties"], "MemorySize": 2048}}
    plan = plan_stack("F", StackState(True, "UPDATE_COMPLETE", _template(Fn=FN)), _template(Fn=new_fn))
    read = plan.with_replacements({"Fn": "True"}, "replacements as CloudFormation's change set says")
    assert read.changes[0].replacement == "True" and read.lines()[1].endswith("(MemorySize), replaced")
    assert read.lines()[-1] == "    (replacements as CloudFormation's change set says)"


def test_the_code_the_flow_stops_using_is_superseded() -> None:
    old = StackState(True, "UPDATE_COMPLETE", _template(Fn=FN), {"CodeKey": "code/a.zip"})
    new_fn = {**FN, "Properties": {**FN["Properties"], "Code": {"S3Key": "code/b.zip"}}}
    datastore = plan_stack("D", StackState(True, "CREATE_COMPLETE", _template(Role=ROLE)), _template(Role=ROLE))
    flow = plan_stack("F", old, _template(Fn=new_fn))
    asset = AssetPlan("F code package", "bucket", "code/b.zip", upload=True)
    plan = plan_deploy(datastore, flow, [asset], "code/b.zip")
    assert plan.superseded_code == "code/a.zip" and plan.changed and plan.blocked is None
    assert plan.lines() == ["stack D: unchanged", "upload s3://bucket/code/b.zip (F code package)", "stack F: update",
                            plan.flow.lines()[1],
                            "then tag code/a.zip superseded (the bucket expires it after 30 days)"]
    same = plan_deploy(datastore, plan_stack("F", old, _template(Fn=FN)),
                       [AssetPlan("F code package", "bucket", "code/a.zip", upload=False)], "code/a.zip")
    assert same.superseded_code == "" and not same.changed
    assert same.lines()[-1] == "no changes: F is deployed as it is now."
