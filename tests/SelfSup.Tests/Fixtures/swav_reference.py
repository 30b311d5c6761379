"""Reference values for SinkhornTests and SwavTests, written from the SwAV paper in float64 PyTorch.

SwAV (Caron et al. 2020, section 3.1 and appendix A.1): codes Q solve max Tr(Q^T C^T Z) + eps H(Q) over the
transportation polytope (each of the K prototypes receives B/K of the B samples, each sample is assigned once).
Sinkhorn-Knopp: P = exp(scores / eps)^T [K, B] scaled to total 1, then alternately rows scaled to 1/K and columns to
1/B; the codes are B * P^T [B, K]. With a queue, the queue's embeddings are scored against the prototypes, stacked
before the batch's scores, and only the batch's codes are kept.

Swapped prediction with multi-crop: for each coded (global) crop i and every other crop v, the batch mean of
-sum_k q_i log softmax(z_v^T C / tau)_k; summed over v, divided by V - 1, then averaged over the coded crops.

Run: /usr/bin/python3 tests/SelfSup.Tests/Fixtures/swav_reference.py > tests/SelfSup.Tests/Fixtures/swav_reference.json
"""
import json

import torch

torch.manual_seed(11)


def fixed(*shape, scale=1.0):
    # Inputs rounded to 4 decimals so the JSON text is the exact input on both sides.
    return (torch.randn(*shape, dtype=torch.float64) * scale).mul(1e4).round().div(1e4)


def unit_rows(x):
    return x / torch.sqrt((x * x).sum(1, keepdim=True))


def sinkhorn(scores, eps, iterations):
    p = torch.exp(scores / eps).t()      # [K, B]
    k, b = p.shape
    p = p / p.sum()
    for _ in range(iterations):
        for r in range(k):               # every prototype holds 1/K of the mass
            p[r, :] = p[r, :] / p[r, :].sum() / k
        for c in range(b):               # every sample holds 1/B of the mass
            p[:, c] = p[:, c] / p[:, c].sum() / b
    return (p * b).t()                   # [B, K]


def log_softmax(x):
    e = torch.exp(x)
    return torch.log(e / e.sum(1, keepdim=True))


eps, iterations, tau = 0.05, 3, 0.1

# Sinkhorn on fixed scores of cosine size (|s| <= 1): B = 6 samples, K = 4 prototypes.
scores = fixed(6, 4, scale=0.4).clamp(-1, 1)
codes = sinkhorn(scores.clone(), eps, iterations)

# Swapped prediction: B = 4 images, D = 5, K = 3, crops 0 and 1 global, 2 local.
B, D, K, V = 4, 5, 3, 3
embeddings = [unit_rows(fixed(B, D)) for _ in range(V)]     # L2-normalised projections z
prototypes = unit_rows(fixed(K, D))                        # unit rows c_k
crop_scores = [z @ prototypes.t() for z in embeddings]     # [B, K] each


def swav_loss(queue=None):
    total = 0.0
    crop_codes = []
    for i in range(2):
        s = crop_scores[i]
        if queue is not None:
            s = torch.cat([queue[i] @ prototypes.t(), s])
        q = sinkhorn(s.clone(), eps, iterations)[-B:]
        crop_codes.append(q)
        sub = 0.0
        for v in range(V):
            if v != i:
                sub = sub - (q * log_softmax(crop_scores[v] / tau)).sum(1).mean()
        total = total + sub / (V - 1)
    return total / 2, crop_codes


loss, loss_codes = swav_loss()
queue = [unit_rows(fixed(6, D)) for _ in range(2)]         # 6 queued embeddings per global crop
queue_loss, queue_codes = swav_loss(queue)


def listed(t):
    return t.tolist()


print(json.dumps({
    "epsilon": eps, "iterations": iterations, "temperature": tau,
    "scores": listed(scores),
    "codes": listed(codes),
    "embeddings": [listed(z) for z in embeddings],
    "prototypes": listed(prototypes),
    "loss": loss.item(),
    "loss_codes": [listed(q) for q in loss_codes],
    "queue": [listed(q) for q in queue],
    "queue_loss": queue_loss.item(),
    "queue_codes": [listed(q) for q in queue_codes],
}, indent=1))
