"""Runs one step anywhere, against stores behind small protocols.

- `runtime.task.run_task(envelope, env)`: the one function Lambda, Batch and the local
  workers call (see sfn_compiler/contract/envelope.py for the envelope and result).
- `runtime.stores`: artifact store (content-addressed, over a BlobStore: disk or S3) and
  metadata store (SQLite or DynamoDB).
- `runtime.engine`: the local embedded engine (moto). It is the only part that imports
  moto, and nothing that ships to Lambda or Batch imports it.

Importing this package imports nothing else, to keep cold starts small.
"""
