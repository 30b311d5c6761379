"""Reference values for ClipLossTests: CLIP's symmetric loss and its gradients, written from the paper.

Radford et al. 2021, Figure 3: I_e = l2_normalize(I_f), T_e = l2_normalize(T_f), logits = I_e T_e^T * exp(t),
loss_i = cross_entropy(logits, labels, axis=0), loss_t = cross_entropy(logits, labels, axis=1), loss = (loss_i + loss_t) / 2,
with labels = arange(n). §2.5: t is learned, initialised at the equivalent of tau = 0.07, and the scale exp(t) is
clipped at 100. Each cross-entropy is written out as -(logit of the positive) + log sum exp over the row or column,
in float64, with no library loss function; autograd gives the gradients with respect to both embeddings and t.

Run: /usr/bin/python3 clip_reference.py (Debian python3-torch)  (writes clip_reference.json beside this file)
"""
import json
import math
import os

import torch

torch.manual_seed(21)
N, D = 5, 4


def clip_loss(images, texts, t):
    i_e = images / images.pow(2).sum(dim=1, keepdim=True).sqrt()
    t_e = texts / texts.pow(2).sum(dim=1, keepdim=True).sqrt()
    scale = torch.minimum(t.exp(), torch.tensor(100.0, dtype=torch.float64))
    logits = (i_e @ t_e.T) * scale  # [N, N]: image i against text j
    n = logits.shape[0]
    image_to_text = sum(-logits[i, i] + torch.log(sum(torch.exp(logits[i, j]) for j in range(n))) for i in range(n)) / n
    text_to_image = sum(-logits[j, j] + torch.log(sum(torch.exp(logits[i, j]) for i in range(n))) for j in range(n)) / n
    return (image_to_text + text_to_image) / 2


cases = {}
for name, t0 in [("initial", math.log(1 / 0.07)), ("warm", 1.3), ("clipped", 5.0)]:
    images = torch.randn(N, D, dtype=torch.float64, requires_grad=True)
    texts = torch.randn(N, D, dtype=torch.float64, requires_grad=True)
    t = torch.tensor(t0, dtype=torch.float64, requires_grad=True)
    loss = clip_loss(images, texts, t)
    loss.backward()
    cases[name] = {
        "images": images.detach().tolist(), "texts": texts.detach().tolist(), "log_scale": t0,
        "loss": float(loss), "grad_images": images.grad.tolist(), "grad_texts": texts.grad.tolist(),
        "grad_log_scale": float(t.grad),
    }

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "clip_reference.json"), "w") as f:
    json.dump(cases, f, indent=1)
print({k: (v["loss"], v["grad_log_scale"]) for k, v in cases.items()})
