"""Stack synthesizers that need no `cdk bootstrap`: the CLI deploys with the caller's own credentials.

* `NoBootstrapSynthesizer` (the datastore stack): names no role and registers no asset,
  not even its template, so `cdk deploy` sends the template inline (it is small). The
  stock `BootstraplessSynthesizer` still names the `cdk-hnb659fds-*` deploy and
  CloudFormation execution roles, and CloudFormation refuses a RoleARN that does not
  exist; `CliCredentialsStackSynthesizer` registers the template as an asset in the
  `cdk-hnb659fds-assets-*` bucket, which does not exist either.
* `bound_cli_credentials_synthesizer` (flow stacks): CliCredentialsStackSynthesizer with
  its asset bucket set to the datastore bucket (created by the datastore stack first).
"""
from __future__ import annotations

from typing import Any

__all__ = ["bound_cli_credentials_synthesizer", "no_bootstrap_synthesizer"]


def no_bootstrap_synthesizer() -> Any:
    """A synthesizer for a stack without assets that deploys with no bootstrap role or bucket."""
    import aws_cdk as cdk

    class NoBootstrapSynthesizer(cdk.StackSynthesizer):  # type: ignore[misc]
        def add_file_asset(self, asset: Any) -> Any:
            raise ValueError("this stack deploys without a bootstrap bucket, so it cannot have file assets")

        def add_docker_image_asset(self, asset: Any) -> Any:
            raise ValueError("this stack deploys without a bootstrap registry, so it cannot have image assets")

        def synthesize(self, session: Any) -> None:
            self._synthesize_template(session)
            self._emit_artifact(session)  # no roles, no template asset, no bootstrap version check

        @property
        def bootstrap_qualifier(self) -> Any:
            return None

    return NoBootstrapSynthesizer()


def bound_cli_credentials_synthesizer(**kwargs: Any) -> Any:
    """CliCredentialsStackSynthesizer that binds itself instead of a clone.

    The stock one is "reusable": each stack gets a clone made with Object.create, which
    jsii maps back to the unbound original, so `stack.synthesizer.add_file_asset(...)`
    from Python fails with StackSynthesizerBoundStackFirst. One instance per stack,
    bound in place, avoids that.
    """
    import aws_cdk as cdk

    class BoundCliCredentialsSynthesizer(cdk.CliCredentialsStackSynthesizer):  # type: ignore[misc]
        def reusable_bind(self, stack: Any) -> Any:
            self.bind(stack)
            return self

    return BoundCliCredentialsSynthesizer(**kwargs)
