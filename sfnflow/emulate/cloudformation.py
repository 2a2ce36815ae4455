"""Patches that let moto's CloudFormation deploy a synthesized flow stack that then runs.

Registered in the one patch registry (runtime/engine/patches), group CLOUDFORMATION:

* CloudFormation state machines are created in the *executing* Step Functions backend,
  with `DefinitionSubstitutions` (also `Definition` / `DefinitionS3Location`) applied;
  moto otherwise creates them unexecutable, with `${...}` left in the definition.
* CloudFormation Lambda functions keep their `Layers` (a step environment's packages);
  moto 5.2.5 drops them on create.
* Templates get moto's missing pieces filled in as they are parsed (`moto_compat`): what
  the CDK's Batch constructs emit and moto 5.2.5 cannot read. The template the user
  deploys is unchanged; only moto's parsed copy is.

Not patched: moto's change-set path (the CDK CLI's) creates stacks without outputs or the
account's exports, so `cdk deploy` of a flow stack (which imports the datastore's
exports) fails against moto; `sfnflow deploy` uses CreateStack/UpdateStack.
"""
from __future__ import annotations

import json
from typing import Any, Callable

from runtime.engine.patches import REGISTRY

__all__ = ["CLOUDFORMATION", "moto_compat"]

CLOUDFORMATION = "cloudformation"
_SFN_MODELS = "moto.stepfunctions.models"


# -- state machines ------------------------------------------------------------------------------
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


def _backend(account_id: str, region_name: str) -> Any:
    # The executing backend when execute_state_machine is configured (moto's responses module decides).
    from moto.stepfunctions.responses import get_backend

    return get_backend(account_id, region_name)


REGISTRY.relies_on(CLOUDFORMATION, "moto.stepfunctions.responses", "get_backend")


@REGISTRY.replaces(_SFN_MODELS, "StateMachine.create_from_cloudformation_json", group=CLOUDFORMATION)
def _create(original: Any, hooks: Any) -> Any:
    from moto.stepfunctions.utils import cfn_to_api_tags

    def create(cls: Any, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str,
               **kwargs: Any) -> Any:
        props = cloudformation_json["Properties"]
        return _backend(account_id, region_name).create_state_machine(
            props.get("StateMachineName", resource_name), _definition(props, account_id), props.get("RoleArn", ""),
            tags=cfn_to_api_tags(props.get("Tags", [])))

    return classmethod(create)


@REGISTRY.replaces(_SFN_MODELS, "StateMachine.update_from_cloudformation_json", group=CLOUDFORMATION)
def _update(original: Any, hooks: Any) -> Any:
    def update(cls: Any, original_resource: Any, new_resource_name: str, cloudformation_json: Any,
               account_id: str, region_name: str) -> Any:
        props = cloudformation_json.get("Properties", {})
        if props.get("StateMachineName", original_resource.name) != original_resource.name:  # a replacement
            return original.__func__(cls, original_resource, new_resource_name, cloudformation_json,
                                     account_id, region_name)
        return _backend(account_id, region_name).update_state_machine(
            original_resource.arn, definition=_definition(props, account_id), role_arn=props.get("RoleArn"))

    return classmethod(update)


@REGISTRY.replaces(_SFN_MODELS, "StateMachine.delete_from_cloudformation_json", group=CLOUDFORMATION)
def _delete(original: Any, hooks: Any) -> Any:
    def delete(cls: Any, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str) -> None:
        backend = _backend(account_id, region_name)
        arn = resource_name
        if not arn.startswith("arn:"):
            arn = next((sm.arn for sm in backend.state_machines if sm.name == resource_name), resource_name)
        backend.delete_state_machine(arn)

    return classmethod(delete)


# -- Lambda layers -------------------------------------------------------------------------------
def _layer_arns(values: list[Any], account_id: str, region_name: str) -> list[str]:
    """Layer version ARNs from the resolved `Layers`: an ARN, or what moto makes of a Ref to a
    LayerVersion (the object itself: it has no physical_resource_id), or a layer's name."""
    from moto.awslambda.models import lambda_backends

    arns = []
    for value in values:
        text = str(getattr(value, "arn", value))
        if not text.startswith("arn:"):
            versions = list(lambda_backends[account_id][region_name].list_layer_versions(text))
            text = versions[-1].arn if versions else text
        arns.append(text)
    return arns


REGISTRY.relies_on(CLOUDFORMATION, "moto.awslambda.models", "LambdaFunction._get_layers_data",
                   "LambdaBackend.list_layer_versions")


@REGISTRY.replaces("moto.awslambda.models", "LambdaFunction.create_from_cloudformation_json", group=CLOUDFORMATION)
def _create_function(original: Any, hooks: Any) -> Any:
    def create(cls: Any, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str,
               **kwargs: Any) -> Any:
        fn = original.__func__(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        layers = (cloudformation_json.get("Properties") or {}).get("Layers")
        if layers:
            fn.layers = fn._get_layers_data(_layer_arns(list(layers), account_id, region_name))
        return fn

    return classmethod(create)


@REGISTRY.replaces("moto.awslambda.models", "LambdaFunction.update_from_cloudformation_json", group=CLOUDFORMATION)
def _update_function(original: Any, hooks: Any) -> Any:
    def update(cls: Any, original_resource: Any, new_resource_name: str, cloudformation_json: Any,
               account_id: str, region_name: str) -> Any:
        props = cloudformation_json.get("Properties") or {}
        if props.get("Layers"):
            props = {**props, "Layers": _layer_arns(list(props["Layers"]), account_id, region_name)}
            cloudformation_json = {**cloudformation_json, "Properties": props}
        return original.__func__(cls, original_resource, new_resource_name, cloudformation_json, account_id,
                                 region_name)

    return classmethod(update)


# -- templates -----------------------------------------------------------------------------------
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


def _compat_after_parse(original: Callable[[Any], None], hooks: Any) -> Callable[[Any], None]:
    def _parse_template(self: Any) -> None:
        original(self)
        if isinstance(self.template_dict, dict):
            moto_compat(self.template_dict)

    return _parse_template


REGISTRY.replaces("moto.cloudformation.models", "Stack._parse_template", group=CLOUDFORMATION)(_compat_after_parse)
REGISTRY.replaces("moto.cloudformation.models", "ChangeSet._parse_template",
                  group=CLOUDFORMATION)(_compat_after_parse)
