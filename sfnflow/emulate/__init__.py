"""moto as a whole AWS: deploy flows into it and run them the way the cloud would.

    harness.MotoCloud     in-process moto; a compiled flow's resources created from its
                          deployment model; Lambda code in process, Batch as subprocesses
    emulator.Emulator     moto as a server on 127.0.0.1 (`sfnflow emulator`): CloudFormation
                          deploys, Lambda code in child processes, Batch as subprocesses
    lambdas.py            the one Lambda-runner interface and its two runners
    batch.py              Batch jobs as local subprocesses
    moto_services.py, cloudformation.py
                          their moto patches, in the one registry (runtime/engine/patches)

Development and test tooling: imports moto. The code package leaves this package out,
and nothing that ships to Lambda or Batch imports it. Import the submodules you need.
"""
