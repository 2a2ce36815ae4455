"""The contracts every deployable agrees on, each spelled once (pure, standard library only).

- placeholders: filling a compiled definition's `${...}` placeholders from a deployer's resources.
"""
