"""`python -m sfnflow ...` is `sfnflow ...`."""
from sfnflow.cli import main

main()
