"""Cost of a run on AWS: `estimate` (pure model), `prices` (the dated, overridable price table)."""
