"""Reference values for NegativeCosineLossTests: BYOL's and SimSiam's losses and gradients, written from the papers.

BYOL (Grill et al. 2020, eq. 2): with q the online prediction and z' the target projection,
L = || q/||q|| - z'/||z'|| ||^2 per sample; the total is L(q1, z'2) + L(q2, z'1), averaged over the batch.
SimSiam (Chen and He 2021, eq. 1-2): D(p, z) = -(p/||p||) . (z/||z||); L = D(p1, z2)/2 + D(p2, z1)/2, averaged over
the batch. Gradients are taken with autograd in float64; "grad_z1_no_stop" lets the targets keep their gradient.

Run: /usr/bin/python3 byol_reference.py (Debian python3-torch)  (writes byol_reference.json beside this file)
"""
import json
import os

import torch

torch.manual_seed(7)
B, D = 5, 6
q1, q2, z1, z2 = (torch.randn(B, D, dtype=torch.float64) for _ in range(4))


def unit(v):
    return v / v.pow(2).sum(dim=1, keepdim=True).sqrt()


def byol(q1, q2, z1, z2):
    l12 = (unit(q1) - unit(z2.detach())).pow(2).sum(dim=1)
    l21 = (unit(q2) - unit(z1.detach())).pow(2).sum(dim=1)
    return (l12 + l21).mean()


def simsiam(p1, p2, z1, z2):
    d12 = -(unit(p1) * unit(z2)).sum(dim=1)
    d21 = -(unit(p2) * unit(z1)).sum(dim=1)
    return (0.5 * d12 + 0.5 * d21).mean()


a = q1.clone().requires_grad_()
byol_loss = byol(a, q2, z1, z2)
byol_loss.backward()

p = q1.clone().requires_grad_()
t = z1.clone().requires_grad_()
simsiam_loss = simsiam(p, q2, t, z2)
simsiam_loss.backward()

out = {
    "q1": q1.tolist(), "q2": q2.tolist(), "z1": z1.tolist(), "z2": z2.tolist(),
    "byol_loss": byol_loss.item(),
    "byol_grad_q1": a.grad.tolist(),
    "simsiam_loss": simsiam_loss.item(),
    "simsiam_grad_p1": p.grad.tolist(),
    "simsiam_grad_z1_no_stop": t.grad.tolist(),
}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "byol_reference.json")
with open(path, "w") as f:
    json.dump(out, f, indent=1)
print(f"byol {byol_loss.item():.8f}, simsiam {simsiam_loss.item():.8f} -> {path}")
