"""success@k, MRR@k and nDCG@k with binary gains.

For one query with the ranked result paths R (duplicates already removed)
and the set of relevant paths J:
  success@k = 1 if any of R[:k] is in J, else 0
  MRR@k     = 1 / (rank of the first relevant result) if it is <= k, else 0
  nDCG@k    = DCG / IDCG, DCG = sum over i <= k of rel(R[i]) / log2(i + 1),
              IDCG the same for min(|J|, k) relevant results at the top
The means are over every judged query asked; a query whose request failed
counts as one that found nothing.
"""

import math


def first_rank(paths, relevant):
    rel = set(relevant)
    for i, p in enumerate(paths, 1):
        if p in rel:
            return i
    return None


def score(paths, relevant, k=10):
    rel = set(relevant)
    top = paths[:k]
    r = first_rank(top, rel)
    dcg = sum(1.0 / math.log2(i + 1) for i, p in enumerate(top, 1) if p in rel)
    idcg = sum(1.0 / math.log2(i + 1) for i in range(1, min(len(rel), k) + 1))
    return {"success": 1.0 if r else 0.0,
            "rr": 1.0 / r if r else 0.0,
            "ndcg": dcg / idcg if idcg else 0.0}


def aggregate(scores):
    n = len(scores)
    if not n:
        return {"queries": 0, "success": None, "mrr": None, "ndcg": None}
    return {"queries": n,
            "success": sum(s["success"] for s in scores) / n,
            "mrr": sum(s["rr"] for s in scores) / n,
            "ndcg": sum(s["ndcg"] for s in scores) / n}
