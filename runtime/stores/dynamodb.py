"""MetadataStore on one on-demand DynamoDB table, for runs in the cloud.

Key layout: sfn_compiler.contract.table_layout (shared with the CDK stack and the state machine's
own status writes). Writes that two parties can race are conditional:

- create_run puts the run, its tag items and nothing else in one transaction that fails
  if the run exists (RunExistsError), so a second trigger or a racing task never
  overwrites parameters or tags;
- finish_run only ends a RUNNING run: the first terminal status wins, whether it came
  from the runtime or from the state machine's DynamoDB service integration;
- attempts are keyed by attempt number, so an abandoned attempt (a Lambda that outlived
  its TimeoutSeconds) and its retry write different items; finish_attempt never creates
  an item that start_attempt did not.

Values: strings as S, times as N, structured fields (parameters, tags, errors) as JSON
strings, so no Decimal conversions and the shapes round-trip exactly. Reads of one run
are strongly consistent (base table); listing runs goes through the GSI and is
eventually consistent, as GSIs are.

The boto3 client is injected, or created on first use (never at import): this module is
on the Lambda cold-start path.
"""
from __future__ import annotations

import json
import threading
import time
from typing import Any, Iterator

from sfn_compiler.contract import table_layout as keys

from .base import ATTEMPT_RUNNING, RUN_RUNNING, AttemptRecord, RunExistsError, RunRecord

__all__ = ["DynamoMetadataStore", "RunExistsError"]

_MAX_TRANSACTION_ITEMS = 100  # TransactWriteItems limit: the run item + 99 tags
_BATCH_GET_MAX = 100  # BatchGetItem limit per call




class DynamoMetadataStore:
    """MetadataStore over one DynamoDB table (see sfn_compiler.contract.table_layout for the key design)."""

    def __init__(self, table_name: str, client: Any = None) -> None:
        self.table_name = table_name
        self._client = client
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"DynamoMetadataStore({self.table_name!r})"

    def __getstate__(self) -> dict[str, Any]:
        return {"table_name": self.table_name}  # clients never cross processes

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["table_name"])  # type: ignore[misc]

    @property
    def client(self) -> Any:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = _make_client("dynamodb")
        return self._client

    # -- runs -----------------------------------------------------------------------
    def create_run(self, record: RunRecord) -> None:
        """Record a new run with its tags.

        Raises:
            RunExistsError: a run with this flow and id is already recorded.
            ValueError: more tags than one transaction can write (99).
        """
        created = record.created_at or time.time()
        tags = sorted(set(record.tags))
        if len(tags) + 1 > _MAX_TRANSACTION_ITEMS:
            raise ValueError(f"a run can have at most {_MAX_TRANSACTION_ITEMS - 1} tags, not {len(tags)}")
        pk, gsk = keys.run_pk(record.flow, record.run_id), keys.created_key(created, record.run_id)
        item = _drop_none({
            keys.PK: _s(pk), keys.SK: _s(keys.RUN_SK),
            keys.GPK: _s(keys.flow_gpk(record.flow)), keys.GSK: _s(gsk),
            "kind": _s("run"), keys.ATTR_FLOW: _s(record.flow), keys.ATTR_RUN_ID: _s(record.run_id),
            keys.ATTR_STATUS: _s(record.status or RUN_RUNNING), "created_at": _n(created),
            "finished_at": _n(record.finished_at), "parameters": _json(record.parameters),
            "tags": _json(list(record.tags)), "origin_run_id": _s(record.origin_run_id),
            "resume_steps": _json(list(record.resume_steps)), "error": _json(record.error),
            "trigger": _s(record.trigger), "code_version": _s(record.code_version),
            "flow_file": _s(record.flow_file),
        })
        ops: list[dict[str, Any]] = [{"Put": {
            "TableName": self.table_name, "Item": item,
            "ConditionExpression": "attribute_not_exists(#pk)", "ExpressionAttributeNames": {"#pk": keys.PK},
        }}]
        for tag in tags:
            ops.append({"Put": {"TableName": self.table_name, "Item": {
                keys.PK: _s(pk), keys.SK: _s(keys.tag_sk(tag)),
                keys.GPK: _s(keys.tag_gpk(record.flow, tag)), keys.GSK: _s(gsk),
                "kind": _s("tag"), "flow": _s(record.flow), "run_id": _s(record.run_id), "tag": _s(tag),
            }}})
        try:
            self.client.transact_write_items(TransactItems=ops)
        except Exception as exc:
            if _condition_failed(exc):
                raise RunExistsError(f"run {record.flow}/{record.run_id} is already recorded") from exc
            raise
        # The flow marker is an idempotent put outside the transaction: inside it, two runs of
        # one flow created at once would conflict on this shared item and one would fail.
        self.client.put_item(TableName=self.table_name,
                             Item={keys.PK: _s(keys.FLOWS_PK), keys.SK: _s(record.flow), "kind": _s("flow")})

    def finish_run(self, flow: str, run_id: str, status: str, error: dict[str, Any] | None = None) -> None:
        """End a RUNNING run. A run already ended (by anyone) or never recorded is left alone."""
        names = {"#pk": keys.PK, "#st": keys.ATTR_STATUS, "#fin": "finished_at"}
        values = {":st": _s(status), ":fin": _n(time.time()), ":running": _s(RUN_RUNNING)}
        update = "SET #st = :st, #fin = :fin"
        if error is not None:
            names["#err"] = "error"
            values[":err"] = _json(error)
            update += ", #err = :err"
        try:
            self.client.update_item(
                TableName=self.table_name, Key=_run_key(flow, run_id), UpdateExpression=update,
                ConditionExpression="attribute_exists(#pk) AND #st = :running",
                ExpressionAttributeNames=names, ExpressionAttributeValues=values,
            )
        except Exception as exc:
            if not _condition_failed(exc):
                raise

    def set_tags(self, flow: str, run_id: str, tags: list[str]) -> None:
        """Replace a run's tags: the run item's list and its tag items (for tag lookups), in one transaction."""
        item = self.client.get_item(TableName=self.table_name, Key=_run_key(flow, run_id),
                                    ConsistentRead=True).get("Item")
        if item is None:
            raise KeyError(f"no run {flow}/{run_id}")
        old, new = set(_loads(item, "tags") or []), set(tags)
        if len(new) + 1 > _MAX_TRANSACTION_ITEMS or len(old ^ new) + 1 > _MAX_TRANSACTION_ITEMS:
            raise ValueError(f"a run can have at most {_MAX_TRANSACTION_ITEMS - 1} tags")
        pk, gsk = keys.run_pk(flow, run_id), item[keys.GSK]["S"]
        ops: list[dict[str, Any]] = [{"Update": {
            "TableName": self.table_name, "Key": _run_key(flow, run_id), "UpdateExpression": "SET #tags = :tags",
            "ExpressionAttributeNames": {"#tags": "tags"}, "ExpressionAttributeValues": {":tags": _json(sorted(new))},
        }}]
        for tag in sorted(new - old):
            ops.append({"Put": {"TableName": self.table_name, "Item": {
                keys.PK: _s(pk), keys.SK: _s(keys.tag_sk(tag)), keys.GPK: _s(keys.tag_gpk(flow, tag)),
                keys.GSK: _s(gsk), "kind": _s("tag"), "flow": _s(flow), "run_id": _s(run_id), "tag": _s(tag),
            }}})
        for tag in sorted(old - new):
            ops.append({"Delete": {"TableName": self.table_name,
                                   "Key": {keys.PK: _s(pk), keys.SK: _s(keys.tag_sk(tag))}}})
        self.client.transact_write_items(TransactItems=ops)

    def get_run(self, flow: str, run_id: str) -> RunRecord | None:
        item = self.client.get_item(TableName=self.table_name, Key=_run_key(flow, run_id),
                                    ConsistentRead=True).get("Item")
        return _run(item) if item else None

    def list_runs(self, flow: str) -> list[RunRecord]:
        """Runs of a flow, newest first (by creation time, whatever the run ids)."""
        return [_run(item) for item in self._query_index(keys.flow_gpk(flow))]

    def list_runs_by_tag(self, flow: str, tag: str) -> list[RunRecord]:
        """Runs of a flow that carry `tag`, newest first."""
        run_ids = [_str(item, "run_id") for item in self._query_index(keys.tag_gpk(flow, tag))]
        found = self._get_runs(flow, run_ids)
        return [found[r] for r in run_ids if r in found]

    def list_flows(self) -> list[str]:
        items = self._query(KeyConditionExpression="#pk = :pk", ExpressionAttributeNames={"#pk": keys.PK},
                            ExpressionAttributeValues={":pk": _s(keys.FLOWS_PK)})
        return sorted(_str(item, keys.SK) for item in items)

    def describe_run(self, flow: str, run_id: str) -> tuple[RunRecord | None, list[AttemptRecord]]:
        """The run and every attempt of every task, in one (paginated) Query."""
        run, attempts = None, []
        for item in self._query_run(flow, run_id, None):
            sk = _str(item, keys.SK)
            if sk == keys.RUN_SK:
                run = _run(item)
            elif sk.startswith(keys.ATTEMPT_PREFIX):
                attempts.append(_attempt(item))
        return run, attempts

    # -- attempts -------------------------------------------------------------------
    def start_attempt(self, record: AttemptRecord) -> None:
        """Record an attempt as started (replaces a record of the same attempt number)."""
        item = _drop_none({
            keys.PK: _s(keys.run_pk(record.flow, record.run_id)),
            keys.SK: _s(keys.attempt_sk(record.step, record.task_id, record.attempt)),
            "kind": _s("attempt"), "flow": _s(record.flow), "run_id": _s(record.run_id), "step": _s(record.step),
            "task_id": _s(record.task_id), "attempt": _n(record.attempt),
            "status": _s(record.status or ATTEMPT_RUNNING), "started_at": _n(record.started_at or time.time()),
            "finished_at": _n(record.finished_at), "compute": _s(record.compute), "error": _json(record.error),
            "logs": _s(record.logs),
        })
        self.client.put_item(TableName=self.table_name, Item=item)

    def finish_attempt(
        self, flow: str, run_id: str, step: str, task_id: str, attempt: int, status: str,
        error: dict[str, Any] | None = None,
    ) -> None:
        """Set an attempt's end status; a no-op if the attempt was never started."""
        names = {"#pk": keys.PK, "#st": "status", "#fin": "finished_at", "#err": "error"}
        values = {":st": _s(status), ":fin": _n(time.time())}
        update = "SET #st = :st, #fin = :fin"
        if error is not None:
            values[":err"] = _json(error)
            update += ", #err = :err"
        else:
            update += " REMOVE #err"
        try:
            self.client.update_item(
                TableName=self.table_name,
                Key={keys.PK: _s(keys.run_pk(flow, run_id)), keys.SK: _s(keys.attempt_sk(step, task_id, attempt))},
                UpdateExpression=update, ConditionExpression="attribute_exists(#pk)",
                ExpressionAttributeNames=names, ExpressionAttributeValues=values,
            )
        except Exception as exc:
            if not _condition_failed(exc):
                raise

    def list_tasks(self, flow: str, run_id: str, step: str | None = None) -> list[AttemptRecord]:
        """The latest attempt of each task of a run (of one step if given)."""
        latest: dict[tuple[str, str], AttemptRecord] = {}
        for item in self._query_run(flow, run_id, keys.attempt_prefix(step)):
            record = _attempt(item)  # sk order: a task's attempts ascend, so the last one wins
            latest[(record.step, record.task_id)] = record
        return sorted(latest.values(), key=lambda r: (r.started_at, r.step, _task_sort_key(r.task_id)))

    def list_attempts(self, flow: str, run_id: str, step: str, task_id: str) -> list[AttemptRecord]:
        """Every attempt of one task, oldest first."""
        return [_attempt(item) for item in self._query_run(flow, run_id, keys.attempt_prefix(step, task_id))]

    # -- queries --------------------------------------------------------------------
    def _query(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        kwargs["TableName"] = self.table_name
        while True:
            page = self.client.query(**kwargs)
            yield from page.get("Items", [])
            last = page.get("LastEvaluatedKey")
            if not last:
                return
            kwargs["ExclusiveStartKey"] = last

    def _query_run(self, flow: str, run_id: str, sk_prefix: str | None) -> Iterator[dict[str, Any]]:
        names = {"#pk": keys.PK}
        values = {":pk": _s(keys.run_pk(flow, run_id))}
        condition = "#pk = :pk"
        if sk_prefix is not None:
            names["#sk"] = keys.SK
            values[":prefix"] = _s(sk_prefix)
            condition += " AND begins_with(#sk, :prefix)"
        return self._query(KeyConditionExpression=condition, ExpressionAttributeNames=names,
                           ExpressionAttributeValues=values, ConsistentRead=True)

    def _query_index(self, gpk: str) -> Iterator[dict[str, Any]]:
        return self._query(IndexName=keys.INDEX_NEWEST_FIRST, KeyConditionExpression="#g = :g",
                           ExpressionAttributeNames={"#g": keys.GPK}, ExpressionAttributeValues={":g": _s(gpk)},
                           ScanIndexForward=False)

    def _get_runs(self, flow: str, run_ids: list[str]) -> dict[str, RunRecord]:
        found: dict[str, RunRecord] = {}
        unique = list(dict.fromkeys(run_ids))
        for start in range(0, len(unique), _BATCH_GET_MAX):
            request = {self.table_name: {"Keys": [_run_key(flow, r) for r in unique[start:start + _BATCH_GET_MAX]]}}
            while request:
                page = self.client.batch_get_item(RequestItems=request)
                for item in page.get("Responses", {}).get(self.table_name, []):
                    record = _run(item)
                    found[record.run_id] = record
                # Throttled keys come back unprocessed; boto3's retries already backed off.
                request = page.get("UnprocessedKeys") or {}
        return found


# -- encoding ---------------------------------------------------------------------------
def _make_client(service: str) -> Any:
    import boto3
    from botocore.config import Config

    # Standard retry mode with room to spare: a 2,000-way foreach writes thousands of
    # attempt items into one partition within seconds, and throttles must be retried.
    return boto3.client(service, config=Config(retries={"mode": "standard", "max_attempts": 10}))


def _run_key(flow: str, run_id: str) -> dict[str, Any]:
    return {keys.PK: _s(keys.run_pk(flow, run_id)), keys.SK: _s(keys.RUN_SK)}


def _s(value: str | None) -> dict[str, str] | None:
    return None if value is None else {"S": str(value)}


def _n(value: float | None) -> dict[str, str] | None:
    return None if value is None else {"N": repr(float(value)) if isinstance(value, float) else str(int(value))}


def _json(value: Any) -> dict[str, str] | None:
    return None if value is None else {"S": json.dumps(value, default=str, sort_keys=True)}


def _drop_none(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if v is not None}


def _str(item: dict[str, Any], name: str, default: str | None = None) -> Any:
    value = item.get(name)
    return value["S"] if value and "S" in value else default


def _num(item: dict[str, Any], name: str) -> float | None:
    value = item.get(name)
    return float(value["N"]) if value and "N" in value else None


def _loads(item: dict[str, Any], name: str) -> Any:
    text = _str(item, name)
    return None if text is None else json.loads(text)


def _run(item: dict[str, Any]) -> RunRecord:
    created = _num(item, "created_at")
    if created is None:  # an item the state machine created: only its GSI key has the time
        created = keys.parse_iso(_str(item, keys.GSK, "").split("#", 1)[0]) or 0.0
    finished = _num(item, "finished_at")
    if finished is None and _str(item, keys.ATTR_FINISHED_ISO):
        finished = keys.parse_iso(_str(item, keys.ATTR_FINISHED_ISO))
    return RunRecord(
        flow=_str(item, keys.ATTR_FLOW, ""), run_id=_str(item, keys.ATTR_RUN_ID, ""),
        status=_str(item, keys.ATTR_STATUS, RUN_RUNNING),
        created_at=created, finished_at=finished, parameters=_loads(item, "parameters") or {},
        tags=_loads(item, "tags") or [], origin_run_id=_str(item, "origin_run_id"),
        resume_steps=_loads(item, "resume_steps") or [],
        error=_loads(item, "error") or _sfn_error(_loads(item, keys.ATTR_SFN_ERROR)),
        trigger=_str(item, "trigger", "cloud"), code_version=_str(item, "code_version"),
        flow_file=_str(item, "flow_file"),
    )


def _sfn_error(raw: Any) -> dict[str, Any] | None:
    """Step Functions' {"Error", "Cause"} (written by the state machine) as a run error record."""
    if not isinstance(raw, dict):
        return None
    record: dict[str, Any] = {"type": raw.get("Error") or "States.TaskFailed", "message": raw.get("Cause") or ""}
    try:  # a Lambda failure's Cause is JSON: {"errorType", "errorMessage", "stackTrace"}
        cause = json.loads(record["message"])
        if isinstance(cause, dict) and "errorMessage" in cause:
            record["message"] = cause["errorMessage"]
    except (TypeError, ValueError):
        pass
    return record


def _attempt(item: dict[str, Any]) -> AttemptRecord:
    return AttemptRecord(
        flow=_str(item, "flow", ""), run_id=_str(item, "run_id", ""), step=_str(item, "step", ""),
        task_id=_str(item, "task_id", ""), attempt=int(_num(item, "attempt") or 0),
        status=_str(item, "status", ATTEMPT_RUNNING), started_at=_num(item, "started_at") or 0.0,
        finished_at=_num(item, "finished_at"), compute=_str(item, "compute", "local"),
        error=_loads(item, "error"), logs=_str(item, "logs"),
    )


def _condition_failed(exc: BaseException) -> bool:
    """A ConditionalCheckFailed, alone or as a transaction's cancellation reason.

    Duck-typed on the error response so this module need not import botocore at import.
    """
    response = getattr(exc, "response", None) or {}
    code = response.get("Error", {}).get("Code", "")
    if code == "ConditionalCheckFailedException":
        return True
    if code == "TransactionCanceledException":
        reasons = response.get("CancellationReasons") or []
        if any(r.get("Code") == "ConditionalCheckFailed" for r in reasons):
            return True
        return "ConditionalCheckFailed" in response.get("Error", {}).get("Message", "")
    return False


def _task_sort_key(task_id: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in task_id.split("."))
    except ValueError:
        return ()
