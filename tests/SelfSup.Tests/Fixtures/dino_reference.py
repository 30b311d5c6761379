"""Reference values for DinoLossTests, written from the DINO and iBOT papers in float64 PyTorch.

DINO (Caron et al. 2021, eq. 3-4): P_t = softmax((g_t - c) / tau_t), P_s = softmax(g_s / tau_s); the loss sums
H(P_t(x), P_s(x')) = -sum_k P_t log P_s over teacher views x (global crops) and student views x' != x, each term a
batch mean, divided by the number of terms; then c <- m c + (1 - m) mean_batch(g_t) over both global crops.

iBOT (Zhou et al. 2022, eq. 2): for one view, the cross-entropy at each masked patch, averaged over the masked patches
of each image (an image without masked patches contributes 0), then over the images; the patch centre is the moving
average of the mean teacher patch output over all patches.

Run: python3 tests/SelfSup.Tests/Fixtures/dino_reference.py > tests/SelfSup.Tests/Fixtures/dino_reference.json
"""
import json

import torch

torch.manual_seed(7)


def fixed(*shape, scale=1.0):
    # Inputs rounded to 4 decimals so the JSON text is the exact input on both sides.
    return (torch.randn(*shape, dtype=torch.float64) * scale).mul(1e4).round().div(1e4)


def cross_entropy(p, logits, tau_s):
    log_p = torch.log(torch.exp(logits / tau_s) / torch.exp(logits / tau_s).sum(-1, keepdim=True))
    return -(p * log_p).sum(-1)


def teacher_probs(g, c, tau_t):
    e = torch.exp((g - c) / tau_t)
    return e / e.sum(-1, keepdim=True)


B, K, V = 3, 5, 4  # images, output dimensions, views (2 global + 2 local)
tau_s, tau_t, m = 0.1, 0.05, 0.9

student = [fixed(B, K, scale=0.5) for _ in range(V)]
teacher = [fixed(B, K, scale=0.5) for _ in range(2)]
centre = fixed(1, K, scale=0.1)

terms = []
for q in range(2):
    p = teacher_probs(teacher[q], centre, tau_t)
    for v in range(V):
        if v != q:
            terms.append(cross_entropy(p, student[v], tau_s).mean())
dino_loss = sum(terms) / len(terms)
all_teacher = torch.cat(teacher)
new_centre = m * centre + (1 - m) * all_teacher.mean(0, keepdim=True)

# Sharpening only (no centring).
terms = []
for q in range(2):
    p = teacher_probs(teacher[q], torch.zeros(1, K, dtype=torch.float64), tau_t)
    for v in range(V):
        if v != q:
            terms.append(cross_entropy(p, student[v], tau_s).mean())
dino_loss_uncentred = sum(terms) / len(terms)

# iBOT patch loss for one view: T = 6 patches, image 1 has no masked patch.
T, tau_t2 = 6, 0.06
teacher_patch = fixed(B, T, K, scale=0.5)
student_patch = fixed(B, T, K, scale=0.5)
patch_centre = fixed(1, K, scale=0.1)
mask = torch.tensor([[1, 0, 1, 1, 0, 0], [0, 0, 0, 0, 0, 0], [0, 1, 0, 0, 0, 1]], dtype=torch.float64)
per_image = []
for b in range(B):
    masked = [t for t in range(T) if mask[b, t] == 1]
    if not masked:
        per_image.append(torch.tensor(0.0, dtype=torch.float64))
        continue
    ce = [cross_entropy(teacher_probs(teacher_patch[b, t], patch_centre[0], tau_t2), student_patch[b, t], tau_s) for t in masked]
    per_image.append(sum(ce) / len(ce))
patch_loss = sum(per_image) / B
new_patch_centre = m * patch_centre + (1 - m) * teacher_patch.reshape(-1, K).mean(0, keepdim=True)


def listed(t):
    return t.tolist()


print(json.dumps({
    "student_temp": tau_s, "teacher_temp": tau_t, "center_momentum": m,
    "student": [listed(s) for s in student],
    "teacher": [listed(t) for t in teacher],
    "centre": listed(centre),
    "dino_loss": dino_loss.item(),
    "dino_loss_uncentred": dino_loss_uncentred.item(),
    "new_centre": listed(new_centre),
    "patch_teacher_temp": tau_t2,
    "teacher_patch": listed(teacher_patch),
    "student_patch": listed(student_patch),
    "patch_centre": listed(patch_centre),
    "mask": listed(mask),
    "patch_loss": patch_loss.item(),
    "new_patch_centre": listed(new_patch_centre),
}, indent=1))
