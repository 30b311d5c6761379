"""Reference values for InfoNceLossTests: InfoNCE with in-batch negatives, with a queue, and both, written from the papers.

InfoNCE (van den Oord et al. 2018, eq. 4): for a query q with positive key k+ and negatives k-,
L = -log( exp(s(q, k+)/t) / (exp(s(q, k+)/t) + sum_k- exp(s(q, k-)/t)) ), averaged over the queries.
MoCo (He et al. 2020, eq. 1 and Algorithm 1): s is the dot product of L2-normalised vectors, the negatives are the
queue's K keys only. MoCo v3 (Chen et al. 2021, Algorithm 1): the negatives are the other queries' keys in the batch,
and ctr(q, k) is multiplied by 2t. CPC's log-bilinear score uses the raw dot product ("raw": normalize off, t = 1).
Every sum is written out term by term in float64, with no library loss function.

Run: /usr/bin/python3 infonce_reference.py (Debian python3-torch)  (writes infonce_reference.json beside this file)
"""
import json
import math
import os

import torch

torch.manual_seed(11)
N, M, D = 4, 6, 5
q = torch.randn(N, D, dtype=torch.float64)
k = torch.randn(N, D, dtype=torch.float64)
queue = torch.randn(M, D, dtype=torch.float64)
T = 0.2


def unit(v):
    return v / v.pow(2).sum(dim=1, keepdim=True).sqrt()


def dot(a, b):
    return sum(float(a[i]) * float(b[i]) for i in range(a.shape[0]))


def loss(queries, keys, bank, t, batch_negatives, normalize):
    if normalize:
        queries, keys = unit(queries), unit(keys)
        bank = unit(bank) if bank is not None else None
    total = 0.0
    for i in range(queries.shape[0]):
        pos = math.exp(dot(queries[i], keys[i]) / t)
        neg = 0.0
        if batch_negatives:
            neg += sum(math.exp(dot(queries[i], keys[j]) / t) for j in range(keys.shape[0]) if j != i)
        if bank is not None:
            neg += sum(math.exp(dot(queries[i], bank[j]) / t) for j in range(bank.shape[0]))
        total += -math.log(pos / (pos + neg))
    return total / queries.shape[0]


out = {
    "q": q.tolist(), "k": k.tolist(), "queue": queue.tolist(), "temperature": T,
    "queue_only": loss(q, k, queue, T, False, True),
    "batch_only": loss(q, k, None, T, True, True),
    "batch_and_queue": loss(q, k, queue, T, True, True),
    "raw_dot_batch": loss(q, k, None, 1.0, True, False),
    # MoCo v3 with q1 = q, q2 = k (queries) and keys k1 = k, k2 = q, swapped: 2t (ctr(q1, k2) + ctr(q2, k1)).
    "moco_v3_symmetric": 2 * T * (loss(q, queue[:N], None, T, True, True) + loss(k, queue[1:N + 1], None, T, True, True)),
}
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "infonce_reference.json"), "w") as f:
    json.dump(out, f, indent=1)
print({key: v for key, v in out.items() if isinstance(v, float)})
