"""The price table a cost estimate uses: AWS list prices, US East (N. Virginia), dated.

Every figure is USD, no free tier, no data transfer. Prices change: the table says when
it was read, and `with_overrides` replaces any field (`sfnflow cost --prices FILE.json`
with e.g. `{"as_of": "2027-01-05", "fargate_vcpu_hour": 0.04, "ec2_hour": {"g5.xlarge": 1.0}}`),
so another Region or a discount is one small file. Pure data: no I/O here.

Sources (read 2026-12-01; third-party restatements of AWS's dynamic tables marked 3p in
/work/shared/research/aws_limits_pricing.md were checked against the pages below):
https://aws.amazon.com/step-functions/pricing/ https://aws.amazon.com/lambda/pricing/
https://aws.amazon.com/fargate/pricing/ https://aws.amazon.com/ec2/pricing/on-demand/
https://aws.amazon.com/s3/pricing/ https://aws.amazon.com/dynamodb/pricing/on-demand/
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Mapping

__all__ = ["DEFAULT_PRICES", "Prices", "with_overrides"]

_EC2_ON_DEMAND_HOUR = {  # Linux, on-demand, us-east-1
    "g4dn.xlarge": 0.526, "g4dn.2xlarge": 0.752, "g4dn.4xlarge": 1.204, "g4dn.8xlarge": 2.176,
    "g4dn.12xlarge": 3.912, "g4dn.16xlarge": 4.352, "g4dn.metal": 7.824,
    "g5.xlarge": 1.006, "g5.2xlarge": 1.212, "g5.4xlarge": 1.624, "g5.8xlarge": 2.448, "g5.12xlarge": 5.672,
    "g5.16xlarge": 4.096, "g5.24xlarge": 8.144, "g5.48xlarge": 16.288,
    "g6.xlarge": 0.8048, "g6.2xlarge": 0.9776, "g6.4xlarge": 1.3232, "g6.8xlarge": 2.0144, "g6.12xlarge": 4.6016,
    "g6.16xlarge": 3.3968, "g6.24xlarge": 6.6752, "g6.48xlarge": 13.3504,
    "m5.large": 0.096, "m5.xlarge": 0.192, "m5.2xlarge": 0.384, "m5.4xlarge": 0.768, "m5.8xlarge": 1.536,
    "m5.12xlarge": 2.304, "m5.16xlarge": 3.072, "m5.24xlarge": 4.608,
    "r5.large": 0.126, "r5.xlarge": 0.252, "r5.2xlarge": 0.504, "r5.4xlarge": 1.008, "r5.8xlarge": 2.016,
    "r5.12xlarge": 3.024, "r5.16xlarge": 4.032, "r5.24xlarge": 6.048,
}


@dataclass(frozen=True)
class Prices:
    as_of: str = "2026-12-01"
    region: str = "us-east-1"
    # Step Functions: Standard per state transition (retries count); Express per request and GB-second
    sfn_transition: float = 0.000025
    sfn_express_request: float = 0.000001
    sfn_express_gb_second: float = 0.00001667
    # Lambda: per request and GB-second (1 ms billing, no minimum)
    lambda_request: float = 0.0000002
    lambda_gb_second_x86: float = 0.0000166667
    lambda_gb_second_arm: float = 0.0000133334
    # Fargate (Batch on Fargate), Linux x86: per second with a one-minute minimum
    fargate_vcpu_hour: float = 0.04048
    fargate_gb_hour: float = 0.004445
    fargate_min_seconds: float = 60.0
    # EC2 (Batch on EC2): per second with a one-minute minimum, by instance type
    ec2_min_seconds: float = 60.0
    ec2_hour: Mapping[str, float] = field(default_factory=lambda: dict(_EC2_ON_DEMAND_HOUR))
    # S3 Standard requests, DynamoDB on-demand request units
    s3_put: float = 0.000005  # PUT, COPY, POST, LIST
    s3_get: float = 0.0000004  # GET, HEAD
    dynamodb_write: float = 0.000000625  # per write request unit (1 KB)
    dynamodb_read: float = 0.000000125  # per read request unit (4 KB)

    def line(self) -> str:
        return (f"prices: AWS list prices, {self.region}, as of {self.as_of}; no free tier, no data transfer "
                "(override with --prices FILE.json)")


DEFAULT_PRICES = Prices()


def with_overrides(prices: Prices, overrides: Mapping[str, Any]) -> Prices:
    """The table with some fields replaced; `ec2_hour` entries are merged into the table's.

    Raises:
        ValueError: an unknown field, or a value that is not a number where one is due.
    """
    known = {f.name: f for f in dataclasses.fields(Prices)}
    unknown = sorted(set(overrides) - set(known))
    if unknown:
        raise ValueError(f"unknown price field(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    values: dict[str, Any] = {}
    for name, value in overrides.items():
        if name in ("as_of", "region"):
            values[name] = str(value)
        elif name == "ec2_hour":
            if not isinstance(value, Mapping) or not all(_is_number(v) for v in value.values()):
                raise ValueError("ec2_hour must map instance types to $ per hour, e.g. {\"g5.xlarge\": 1.006}")
            values[name] = {**prices.ec2_hour, **{str(k): float(v) for k, v in value.items()}}
        elif _is_number(value):
            values[name] = float(value)
        else:
            raise ValueError(f"price {name} must be a number, not {value!r}")
    return dataclasses.replace(prices, **values)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0
