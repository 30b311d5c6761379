"""Reference values for TripletLossTests, written from the papers with explicit loops over triplets (float64).

Triplet loss (Schroff et al. 2015, FaceNet, eq. 1): max(0, d(a, p) - d(a, n) + margin) for an anchor a, a positive p
(same label, p != a) and a negative n (other label). Mining over a labelled batch:
- batch all (Hermans et al. 2017, eq. 4): every valid triplet; averaged over the triplets with a positive loss
  ("BA!=0") or over all valid triplets.
- batch hard (Hermans et al. 2017, eq. 5): per anchor, max d(a, p) against min d(a, n); mean over anchors.
- semi-hard (FaceNet section 3.2, with TensorFlow Addons' choice of negative): per (a, p) pair, the nearest negative
  with d(a, n) > d(a, p); if there is none, the farthest negative; mean over all (a, p) pairs.
d is the Euclidean distance (or its square), on L2-normalised rows unless "raw".

Run: /usr/bin/python3 triplet_reference.py (Debian python3-torch); prints the values TripletLossTests hard-codes.
"""
import torch

X = torch.tensor([
    [1.0, 0.2, -0.3, 0.5],
    [0.9, 0.4, -0.1, 0.3],
    [0.2, 1.0, 0.1, -0.4],
    [-0.5, 0.8, 0.6, 0.1],
    [-0.7, 0.5, 0.9, -0.2],
    [0.6, 0.3, 0.2, 0.7],
    [0.1, -0.9, 0.4, 0.6],
    [0.3, -0.6, -0.2, 0.9],
], dtype=torch.float64)
LABELS = [0, 0, 0, 1, 1, 1, 2, 2]


def distances(x, squared):
    n = x.shape[0]
    d = [[0.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(n):
            s = float(((x[i] - x[j]) ** 2).sum())
            d[i][j] = s if squared else s ** 0.5
    return d


def hinge(v):
    return max(0.0, v)


def batch_all(d, labels, margin, over_active):
    losses = []
    n = len(labels)
    for a in range(n):
        for p in range(n):
            if p == a or labels[p] != labels[a]:
                continue
            for q in range(n):
                if labels[q] != labels[a]:
                    losses.append(hinge(d[a][p] - d[a][q] + margin))
    active = [v for v in losses if v > 0]
    denominator = len(active) if over_active else len(losses)
    return sum(losses) / max(denominator, 1), len(active), len(losses)


def batch_hard(d, labels, margin):
    n = len(labels)
    total, count = 0.0, 0
    for a in range(n):
        pos = [d[a][p] for p in range(n) if p != a and labels[p] == labels[a]]
        neg = [d[a][q] for q in range(n) if labels[q] != labels[a]]
        if pos and neg:
            total += hinge(max(pos) - min(neg) + margin)
            count += 1
    return total / count


def semi_hard(d, labels, margin):
    n = len(labels)
    total, count, fallbacks = 0.0, 0, 0
    for a in range(n):
        neg = [d[a][q] for q in range(n) if labels[q] != labels[a]]
        for p in range(n):
            if p == a or labels[p] != labels[a] or not neg:
                continue
            farther = [v for v in neg if v > d[a][p]]
            if farther:
                chosen = min(farther)
            else:
                chosen = max(neg)
                fallbacks += 1
            total += hinge(d[a][p] - chosen + margin)
            count += 1
    return total / count, fallbacks, count


def explicit(a, p, n, margin, normalize):
    if normalize:
        a, p, n = (v / v.norm(dim=1, keepdim=True) for v in (a, p, n))
    dap = (a - p).norm(dim=1)
    dan = (a - n).norm(dim=1)
    return torch.clamp(dap - dan + margin, min=0).mean().item()


unit = X / X.norm(dim=1, keepdim=True)
d_unit = distances(unit, squared=False)
d_raw_sq = distances(X, squared=True)

ba, active, valid = batch_all(d_unit, LABELS, 0.2, over_active=True)
print(f"batch-all, unit, Euclidean, margin 0.2, over active: {ba:.8f}  ({active} active of {valid} valid)")
ba_all, _, _ = batch_all(d_unit, LABELS, 0.2, over_active=False)
print(f"batch-all, unit, Euclidean, margin 0.2, over all valid: {ba_all:.8f}")
print(f"batch-hard, unit, Euclidean, margin 0.2: {batch_hard(d_unit, LABELS, 0.2):.8f}")
sh, fallbacks, pairs = semi_hard(d_unit, LABELS, 0.2)
print(f"semi-hard, unit, Euclidean, margin 0.2: {sh:.8f}  ({fallbacks} of {pairs} pairs fall back)")

ba_raw, active_raw, _ = batch_all(d_raw_sq, LABELS, 1.0, over_active=True)
print(f"batch-all, raw, squared, margin 1.0, over active: {ba_raw:.8f}  ({active_raw} active)")
print(f"batch-hard, raw, squared, margin 1.0: {batch_hard(d_raw_sq, LABELS, 1.0):.8f}")
sh_raw, fallbacks_raw, _ = semi_hard(d_raw_sq, LABELS, 1.0)
print(f"semi-hard, raw, squared, margin 1.0: {sh_raw:.8f}  ({fallbacks_raw} pairs fall back)")

# Explicit triplets: rows 0, 3, 6 of X as anchors; positives 2, 5, 7; negatives 5, 2, 0 (two hard, one easy).
a, p, n = X[[0, 3, 6]], X[[2, 5, 7]], X[[5, 2, 0]]
print(f"explicit, unit, margin 0.2: {explicit(a, p, n, 0.2, True):.8f}")
print(f"explicit, raw, margin 0.5: {explicit(a, p, n, 0.5, False):.8f}")
