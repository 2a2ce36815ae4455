"""The contracts every deployable agrees on, each spelled once (pure, standard library only).

- envelope: the task envelope's field table, and the Lambda payload, Batch command and
  parser derived from it; the state payload and task result.
- placeholders: filling a compiled definition's `${...}` placeholders from a deployer's resources.
"""
