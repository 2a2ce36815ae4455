"""Flow class -> graph IR -> diagnostics -> ASL + deployment model.

Pure: standard library only. No I/O beyond reading the flow's own source, no boto3,
no aws_cdk, no global configuration. Everything downstream (runtime, CDK, CLI) reads
the IR built here, and agrees with the others through `sfn_compiler.contract`.
"""
