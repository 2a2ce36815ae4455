"""Patches that make moto behave enough like AWS to deploy and run a *deployed* flow.

The embedded engine (moto_patches.py) routes Task states to its own workers. A flow
deployed through CloudFormation instead runs the way it would in AWS: moto's Step
Functions calls moto's Lambda and Batch, which must then run the real code. Patched:

* CloudFormation state machines are created in the *executing* Step Functions backend,
  with `DefinitionSubstitutions` (also `Definition` / `DefinitionS3Location`) applied;
  moto otherwise creates them unexecutable, with `${...}` left in the definition.
* CloudFormation templates get moto's missing pieces filled in as they are parsed
  (`moto_compat`): what the CDK's Batch constructs emit and moto 5.2.5 cannot read. The
  template the user deploys is unchanged; only moto's parsed copy is.
* Not patched: moto's change-set path (the CDK CLI's) creates stacks without outputs or
  the account's exports, so `cdk deploy` of a flow stack (which imports the datastore's
  exports) fails against moto; `sfnflow deploy` uses CreateStack/UpdateStack.
* Lambda and Batch run real code through moto_patches' cloud hooks (`install_cloud`):
  here a Lambda handler runs in a child Python process (`ChildProcessLambdaRunner`: the
  code package unpacked as its root, AWS_ENDPOINT_URL pointing back at the moto server,
  a clean environment per call), and a Batch job's command runs as a subprocess
  (cloud_compute.BatchRunner, shared with the cloud harness).

Server mode only (the children call back into moto over HTTP). Lambda/Batch stay moto's
own until `activate(endpoint)`. `install()` checks moto's version and every patched
attribute, through moto_patches.check_moto and this module's own PATCH_TARGETS.
"""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tempfile
import threading
import zipfile
from typing import Any

from .moto_patches import MotoPatchError, _resolve, check_moto

__all__ = ["ChildProcessLambdaRunner", "PATCH_TARGETS", "activate", "deactivate", "install", "moto_compat"]

PATCH_TARGETS: tuple[tuple[str, str], ...] = (
    ("moto.stepfunctions.models", "StateMachine.create_from_cloudformation_json"),
    ("moto.stepfunctions.models", "StateMachine.update_from_cloudformation_json"),
    ("moto.stepfunctions.models", "StateMachine.delete_from_cloudformation_json"),
    ("moto.stepfunctions.responses", "get_backend"),
    ("moto.cloudformation.models", "Stack._parse_template"),
    ("moto.cloudformation.models", "ChangeSet._parse_template"),
)

_RESULT_MARKER = "__SFNFLOW_RESULT__"
# Runs in the child: import the handler from the unpacked package, call it, print the result.
_RUNNER = f"""
import importlib, json, sys, traceback
handler, name, arn = sys.argv[1], sys.argv[2], sys.argv[3]
event = json.loads(sys.stdin.read() or "null")
class Context:
    function_name, invoked_function_arn, aws_request_id = name, arn, "sfnflow-emulator"
    def get_remaining_time_in_millis(self): return 900000
module, func = handler.rsplit(".", 1)
try:
    out = {{"ok": getattr(importlib.import_module(module), func)(event, Context())}}
except Exception as exc:
    out = {{"err": {{"errorType": type(exc).__name__, "errorMessage": str(exc),
                    "stackTrace": traceback.format_exc().splitlines()}}}}
sys.stdout.flush()
print("{_RESULT_MARKER}" + json.dumps(out))
"""


class _State:
    endpoint: str | None = None
    code_dirs: dict[str, str] = {}
    lock = threading.Lock()


_installed = False


def install() -> None:
    """Apply the patches once per process; they act only while activated."""
    global _installed
    if _installed:
        return
    check_moto()
    missing = []
    for module, path in PATCH_TARGETS:
        try:
            owner, leaf = _resolve(module, path)
            if not hasattr(owner, leaf):
                missing.append(f"{module}.{path}")
        except (ImportError, AttributeError):
            missing.append(f"{module}.{path}")
    if missing:
        raise MotoPatchError("moto internals the emulator patches are missing: " + ", ".join(missing))
    _patch_cfn_state_machines()
    _patch_templates()
    _installed = True


def activate(endpoint: str, region: str = "us-east-1") -> None:
    """Run Lambda invocations and Batch jobs in local processes that call back to `endpoint`."""
    from .cloud_compute import BatchRunner
    from .moto_patches import HOOKS, install_cloud

    install()
    install_cloud()
    _State.endpoint = endpoint
    HOOKS.lambda_runner = ChildProcessLambdaRunner()
    HOOKS.batch_runner = BatchRunner(endpoint, region)


def deactivate() -> None:
    from .moto_patches import HOOKS

    _State.endpoint = None
    HOOKS.lambda_runner = None
    HOOKS.batch_runner = None


# -- CloudFormation: state machines ---------------------------------------------------------
def _definition(props: dict[str, Any], account_id: str) -> str:
    if "Definition" in props:
        text = json.dumps(props["Definition"])
    elif "DefinitionS3Location" in props:
        from moto.s3.models import s3_backends

        loc = props["DefinitionS3Location"]
        text = s3_backends[account_id]["aws"].get_object(loc["Bucket"], loc["Key"]).value.decode()
    else:
        text = props.get("DefinitionString", "")
    for key, value in (props.get("DefinitionSubstitutions") or {}).items():
        text = text.replace("${" + key + "}", str(value))
    return text


def _patch_cfn_state_machines() -> None:
    from moto.stepfunctions import models
    from moto.stepfunctions.responses import get_backend
    from moto.stepfunctions.utils import cfn_to_api_tags

    original_update = models.StateMachine.update_from_cloudformation_json

    def create(cls: Any, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str,
               **kwargs: Any) -> Any:
        props = cloudformation_json["Properties"]
        return get_backend(account_id, region_name).create_state_machine(
            props.get("StateMachineName", resource_name), _definition(props, account_id), props.get("RoleArn", ""),
            tags=cfn_to_api_tags(props.get("Tags", [])))

    def update(cls: Any, original_resource: Any, new_resource_name: str, cloudformation_json: Any,
               account_id: str, region_name: str) -> Any:
        props = cloudformation_json.get("Properties", {})
        if props.get("StateMachineName", original_resource.name) != original_resource.name:
            return original_update.__func__(cls, original_resource, new_resource_name, cloudformation_json,
                                            account_id, region_name)
        return get_backend(account_id, region_name).update_state_machine(
            original_resource.arn, definition=_definition(props, account_id), role_arn=props.get("RoleArn"))

    def delete(cls: Any, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str) -> None:
        backend = get_backend(account_id, region_name)
        arn = resource_name
        if not arn.startswith("arn:"):
            arn = next((sm.arn for sm in backend.state_machines if sm.name == resource_name), resource_name)
        backend.delete_state_machine(arn)

    models.StateMachine.create_from_cloudformation_json = classmethod(create)
    models.StateMachine.update_from_cloudformation_json = classmethod(update)
    models.StateMachine.delete_from_cloudformation_json = classmethod(delete)


# -- CloudFormation: templates -------------------------------------------------------------------
def moto_compat(template: dict[str, Any]) -> dict[str, Any]:
    """Fill in what moto 5.2.5's CloudFormation needs and CDK's Batch constructs leave out (in place)."""
    resources = template.get("Resources") or {}
    batch_ids = {k for k, r in resources.items() if str(r.get("Type", "")).startswith("AWS::Batch::")}
    if batch_ids:
        template["Resources"] = resources = _getatt_to_ref(resources, batch_ids)  # moto: Ref == ARN
    for resource in list(resources.values()):
        props = resource.setdefault("Properties", {})
        if resource.get("Type") == "AWS::Batch::ComputeEnvironment":
            if "ServiceRole" not in props:  # AWS uses the service-linked role; moto needs a real one
                resources["SfnflowMotoBatchServiceRole"] = {"Type": "AWS::IAM::Role", "Properties": {
                    "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                        "Effect": "Allow", "Principal": {"Service": "batch.amazonaws.com"},
                        "Action": "sts:AssumeRole"}]}}}
                props["ServiceRole"] = {"Fn::GetAtt": ["SfnflowMotoBatchServiceRole", "Arn"]}
            props["Type"] = str(props.get("Type", "MANAGED")).upper()
        elif resource.get("Type") == "AWS::Batch::JobDefinition":
            props["RetryStrategy"] = props.get("RetryStrategy") or {"Attempts": 1}
    return template


def _getatt_to_ref(node: Any, ids: set[str]) -> Any:
    if isinstance(node, dict):
        getatt = node.get("Fn::GetAtt")
        if len(node) == 1 and isinstance(getatt, list) and getatt and getatt[0] in ids:
            return {"Ref": getatt[0]}
        return {k: _getatt_to_ref(v, ids) for k, v in node.items()}
    if isinstance(node, list):
        return [_getatt_to_ref(v, ids) for v in node]
    return node


def _patch_templates() -> None:
    from moto.cloudformation import models

    for cls in (models.Stack, models.ChangeSet):
        original = cls._parse_template

        def parse(self: Any, _original: Any = original) -> None:
            _original(self)
            if isinstance(self.template_dict, dict):
                moto_compat(self.template_dict)

        cls._parse_template = parse


# -- Lambda: the handler in a child process ----------------------------------------------------
def _code_dir(fn: Any) -> str:
    with _State.lock:
        folder = _State.code_dirs.get(fn.code_sha_256)
        if folder is None:
            folder = tempfile.mkdtemp(prefix="sfnflow-lambda-")
            zipfile.ZipFile(io.BytesIO(fn.code_bytes)).extractall(folder)
            _State.code_dirs[fn.code_sha_256] = folder
        return folder


def _child_env(extra: dict[str, str], region: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MOTO_"))}
    env.update({"AWS_ENDPOINT_URL": _State.endpoint or "", "AWS_REGION": region, "AWS_DEFAULT_REGION": region,
                "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "PYTHONDONTWRITEBYTECODE": "1"})
    env.update({k: str(v) for k, v in extra.items()})
    return env


class ChildProcessLambdaRunner:
    """HOOKS.lambda_runner: each invocation in a fresh Python process (isolated, concurrent)."""

    def __call__(self, fn: Any, event: Any) -> tuple[str, bool, str]:
        return _invoke_child(fn, event)


def _invoke_child(fn: Any, event: Any) -> tuple[str, bool, str]:
    folder = _code_dir(fn)
    env = _child_env(dict(fn.environment_vars or {}), fn.region)
    env.update(PYTHONPATH=folder, AWS_LAMBDA_FUNCTION_NAME=fn.function_name)
    body = event if isinstance(event, str) else json.dumps(event)
    try:
        done = subprocess.run([sys.executable, "-c", _RUNNER, fn.handler, fn.function_name, fn.function_arn],
                              input=body, cwd=folder, env=env, capture_output=True, text=True,
                              timeout=int(fn.timeout or 900))
    except subprocess.TimeoutExpired:
        return json.dumps({"errorType": "Sandbox.Timedout", "errorMessage": "Task timed out"}), True, ""
    logs = done.stderr
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(_RESULT_MARKER):
            out = json.loads(line[len(_RESULT_MARKER):])
            if "err" in out:
                return json.dumps(out["err"]), True, logs
            return json.dumps(out["ok"]), False, logs
    error = {"errorType": "Runtime.ExitError", "errorMessage": f"exit {done.returncode}: {logs[-2000:]}"}
    return json.dumps(error), True, logs
