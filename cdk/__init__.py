"""AWS CDK code for sfnflow: the shared datastore stack and one stack per flow (see README.md).

Imports aws_cdk (the optional `deploy` extra); cdk.config is standard-library only.
"""
