"""Audit of the reproduction: every claim of REPRODUCTION.md section 8 tested statistically.

* :mod:`metagrad.audit.claims` - the claims registry (C1..C12 and the paper's three summary
  findings S1..S3), each with its statistic, test and a ``check(tables, cfg)`` function;
* :mod:`metagrad.audit.run` - ``python -m metagrad.audit.run --profile P``: claims.csv,
  summary.md (verdicts, evidence, provenance of every table);
* :mod:`metagrad.audit.compare` - ``python -m metagrad.audit.compare A B``: two result folders,
  table by table (exactly, or statistically with ``--statistical``);
* :mod:`metagrad.audit.report` - ``python -m metagrad.audit.report --profile P``: a
  self-contained HTML page with every figure, its caption, the claims and the provenance.
"""

from metagrad.audit.claims import CLAIMS, Claim, ClaimResult, TableStore, evaluate_claims

__all__ = ["CLAIMS", "Claim", "ClaimResult", "TableStore", "evaluate_claims"]
