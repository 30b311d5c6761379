"""Reference values for NtXentLossTests, computed element by element in plain Python (no tensors)."""
import math


def normalize(v):
    n = math.sqrt(sum(x * x for x in v))
    return [x / n for x in v]


def ntxent(z1, z2, t):
    z = [normalize(v) for v in z1 + z2]
    n = len(z1)
    total = 0.0
    for i in range(2 * n):
        j = (i + n) % (2 * n)
        logits = [sum(a * b for a, b in zip(z[i], z[k])) / t for k in range(2 * n) if k != i]
        pos = sum(a * b for a, b in zip(z[i], z[j])) / t
        total += -pos + math.log(sum(math.exp(l) for l in logits))
    return total / (2 * n)


def infonce(a, p, negs, t):
    a, p, negs = normalize(a), normalize(p), [normalize(x) for x in negs]
    s = [sum(x * y for x, y in zip(a, p)) / t] + [sum(x * y for x, y in zip(a, q)) / t for q in negs]
    return -s[0] + math.log(sum(math.exp(v) for v in s))


print(infonce([1, 0], [0.9, 0.1], [[-0.8, 0.6]], 0.5))  # 0.027284
print(infonce([1, 0], [0.9, 0.1], [[0.7, 0.3]], 0.5))  # 0.621199
print(ntxent([[1, 0], [0, 1]], [[0.6, 0.8], [0.8, -0.6]], 0.5))  # 2.030190
print(ntxent([[1, 2, 3], [-1, 0.5, 2], [0, 0, 1]], [[1, 2, 2.5], [-1, 1, 2], [0.3, -0.2, 1]], 0.1))  # 0.378496
