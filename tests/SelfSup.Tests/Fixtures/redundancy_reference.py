"""Reference values for BarlowTwinsLossTests and VicRegLossTests, written from the papers with explicit operations.

Barlow Twins (Zbontar et al. 2021, eq. 1-2): each view's embeddings are standardised per dimension over the batch
(mean 0, biased variance, eps 1e-5 under the square root: what BatchNorm1d(affine=False) does in training mode),
C = z1n^T z2n / N, L = sum_i (1 - C_ii)^2 + lambda * sum_{i != j} C_ij^2, lambda = 0.0051.

VICReg (Bardes et al. 2022, eq. 1-6), normalised as the official main_vicreg.py: invariance = mean over N*D entries
of (z1 - z2)^2; variance v(Z) = mean_j relu(gamma - sqrt(Var_j + eps)) with the unbiased variance, gamma 1, eps 1e-4,
averaged over the two branches; covariance c(Z) = sum_{i != j} Cov_ij^2 / D with Cov = (Z - mean)^T (Z - mean) / (N - 1),
summed over the two branches; L = 25 * invariance + 25 * variance + 1 * covariance.

Inputs: float64 from a seeded generator; columns scaled unequally so some dimensions sit below the variance hinge and
others above it, z2 = z1 mixed with noise so the views correlate. Gradients are taken with autograd.

Run: /usr/bin/python3 redundancy_reference.py (Debian python3-torch)  (writes redundancy_reference.json beside it)
"""
import json
import os

import torch

torch.manual_seed(11)
N, D = 8, 5
LAMBDA = 0.0051
BN_EPS = 1e-5
SIM, STD, COV = 25.0, 25.0, 1.0
GAMMA, VAR_EPS = 1.0, 1e-4

scale = torch.tensor([0.2, 0.5, 1.0, 2.0, 3.0], dtype=torch.float64)
z1 = torch.randn(N, D, dtype=torch.float64) * scale + 0.7
z2 = 0.8 * z1 + 0.6 * torch.randn(N, D, dtype=torch.float64) * scale


def standardise(z):
    centred = z - z.sum(dim=0, keepdim=True) / z.shape[0]
    var = (centred * centred).sum(dim=0, keepdim=True) / z.shape[0]
    return centred / torch.sqrt(var + BN_EPS)


def off_diagonal_squares(m):
    total = torch.zeros((), dtype=m.dtype)
    for i in range(m.shape[0]):
        for j in range(m.shape[1]):
            if i != j:
                total = total + m[i, j] * m[i, j]
    return total


def barlow(a, b):
    c = standardise(a).T @ standardise(b) / a.shape[0]
    on = sum((1 - c[i, i]) ** 2 for i in range(c.shape[0]))
    off = off_diagonal_squares(c)
    return c, on + LAMBDA * off, on, off


def variance_term(z):
    centred = z - z.sum(dim=0) / z.shape[0]
    std = torch.sqrt((centred * centred).sum(dim=0) / (z.shape[0] - 1) + VAR_EPS)
    return torch.clamp(GAMMA - std, min=0).sum() / z.shape[1]


def covariance_term(z):
    centred = z - z.sum(dim=0) / z.shape[0]
    cov = centred.T @ centred / (z.shape[0] - 1)
    return off_diagonal_squares(cov) / z.shape[1]


def vicreg(a, b):
    inv = ((a - b) ** 2).sum() / (a.shape[0] * a.shape[1])
    var = variance_term(a) / 2 + variance_term(b) / 2
    cov = covariance_term(a) + covariance_term(b)
    return SIM * inv + STD * var + COV * cov, inv, var, cov


# Sanity check of the standardisation against PyTorch's BatchNorm (not used for any value below).
bn = torch.nn.BatchNorm1d(D, affine=False, eps=BN_EPS).double().train()
assert torch.allclose(bn(z1), standardise(z1))

a, b = z1.clone().requires_grad_(), z2.clone().requires_grad_()
c, bt_loss, bt_on, bt_off = barlow(a, b)
bt_loss.backward()
bt_grad_z1, bt_grad_z2 = a.grad.clone(), b.grad.clone()

a, b = z1.clone().requires_grad_(), z2.clone().requires_grad_()
vr_loss, vr_inv, vr_var, vr_cov = vicreg(a, b)
vr_loss.backward()

out = {
    "z1": z1.tolist(), "z2": z2.tolist(),
    "barlow_lambda": LAMBDA,
    "barlow_cross_correlation": c.detach().tolist(),
    "barlow_loss": bt_loss.item(), "barlow_invariance": bt_on.item(), "barlow_redundancy": bt_off.item(),
    "barlow_grad_z1": bt_grad_z1.tolist(), "barlow_grad_z2": bt_grad_z2.tolist(),
    "vicreg_loss": vr_loss.item(), "vicreg_invariance": vr_inv.item(),
    "vicreg_variance": vr_var.item(), "vicreg_covariance": vr_cov.item(),
    "vicreg_variance_z1": variance_term(z1).item(), "vicreg_covariance_z1": covariance_term(z1).item(),
    "vicreg_grad_z1": a.grad.tolist(), "vicreg_grad_z2": b.grad.tolist(),
}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "redundancy_reference.json")
with open(path, "w") as f:
    json.dump(out, f, indent=1)
print(f"barlow {bt_loss.item():.8f} (on {bt_on.item():.6f}, off {bt_off.item():.6f}); "
      f"vicreg {vr_loss.item():.8f} (inv {vr_inv.item():.6f}, var {vr_var.item():.6f}, cov {vr_cov.item():.6f}) -> {path}")
