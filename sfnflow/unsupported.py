"""Metaflow names sfnflow does not have (yet): importing one says so in one sentence, with
what to use instead, instead of Python's bare "cannot import name"."""
from __future__ import annotations

__all__ = ["NotSupportedYet", "UNSUPPORTED", "not_supported"]


class NotSupportedYet(ImportError):
    """`from sfnflow import <a Metaflow name sfnflow lacks>`: the message says what to do instead."""


_STEP_DECORATOR = "remove the decorator (the step runs without it)"
UNSUPPORTED: dict[str, str] = {
    "project": "@project is not supported yet; name the flow class per project/branch, or tag runs with --tag",
    "secrets": "@secrets is not supported yet; pass secrets with @environment(vars=...) or read them from "
               "AWS Secrets Manager with boto3 inside the step",
    "exit_hook": "@exit_hook is not supported yet; put the work in the end step, or use @catch on it",
    "parallel_map": "parallel_map is not supported yet; use a foreach (self.next(self.x, foreach=...)) or "
                    "concurrent.futures in the step",
    "parallel_imap_unordered": "parallel_imap_unordered is not supported yet; use a foreach or concurrent.futures",
    "pytorch_parallel": "@pytorch_parallel is not supported yet; use @parallel with torch.distributed yourself",
    "FlowMutator": "FlowMutator (Metaflow's user decorators) is not supported yet; apply the decorators directly",
    "StepMutator": "StepMutator (Metaflow's user decorators) is not supported yet; apply the decorators directly",
    "UserStepDecorator": "user step decorators are not supported yet; apply sfnflow's decorators directly",
    "user_step_decorator": "user step decorators are not supported yet; apply sfnflow's decorators directly",
    "USER_SKIP_STEP": "user step decorators (USER_SKIP_STEP) are not supported yet; skip work with a switch instead",
    "DeployedFlow": "DeployedFlow is not supported yet; deploy with `sfnflow deploy FLOW.py`",
    "NBDeployer": "NBDeployer is not supported yet; deploy with `sfnflow deploy FLOW.py`",
    "airflow_external_task_sensor": "Airflow sensors do not apply: sfnflow deploys to Step Functions; "
                                    "use @trigger or @trigger_on_finish",
    "airflow_s3_key_sensor": "Airflow sensors do not apply: sfnflow deploys to Step Functions; use @trigger "
                             "with s3_object_created(...)",
    "unbounded_foreach": "unbounded foreach is not supported; a foreach has no size limit in sfnflow",
    "conda_environment_yml_parser": "config parsers are not supported yet; give @conda its packages directly",
    "requirements_txt_parser": "config parsers are not supported yet; give @pypi its packages directly",
    "pyproject_toml_parser": "config parsers are not supported yet; give @pypi its packages directly",
}


def not_supported(name: str) -> None:
    """Raise NotSupportedYet for a known Metaflow name; return for any other name."""
    reason = UNSUPPORTED.get(name)
    if reason is not None:
        raise NotSupportedYet(f"sfnflow: {name}: {reason}.", name=name)
