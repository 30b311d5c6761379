"""PyTorch reference for bench/run.sh: the same work as `selfsup bench --case ...`, one case per process, one JSON line out.

Cases (all on CPU, float32, torch.set_num_threads(--threads)):
  train    SimCLR step: ResNet-18 (CIFAR stem, base width --width) + projection head 8w -> 2048 (no bias) -> BN -> ReLU
           -> 128, NT-Xent (tau 0.5) over 2 x --batch views, SGD momentum 0.9 (weight decay 1e-6 on >1-D params),
           input in channels-last layout (as SelfSup's encoders convert their input); the embedding-std monitor too.
  embed    eval mode, no grad, batch --batch: encoder forward + global average pool.
  pipeline uint8 batches drawn from a cached [N, 3, 32, 32] tensor by index, then two SimCLR views per image with
           torchvision's per-image transforms (RandomResizedCrop, flip, ColorJitter p 0.8, grayscale p 0.2, normalise).
  peak     fp32 matmul [n, n] x [n, n]: 2 n^3 FLOP per product.
  vit      ViT-Tiny (patch 4 on 32x32, 12 pre-norm blocks of width 192, 3 heads, CLS, fixed positions) training step
           on a random --keep share of each sample's patch tokens (MAE's encoder: 0.25; all tokens: 1); loss = mean
           square of the output tokens, backward, AdamW (weight decay 0.05 on >1-D params).
"""
import argparse, json, math, resource, statistics, time

import torch
import torch.nn as nn
import torch.nn.functional as F


def conv3x3(cin, cout, stride=1):
    return nn.Conv2d(cin, cout, 3, stride, 1, bias=False)


class BasicBlock(nn.Module):
    def __init__(self, cin, planes, stride):
        super().__init__()
        self.conv1, self.bn1 = conv3x3(cin, planes, stride), nn.BatchNorm2d(planes)
        self.conv2, self.bn2 = conv3x3(planes, planes), nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or cin != planes:
            self.downsample = nn.Sequential(nn.Conv2d(cin, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        h = F.relu(self.bn1(self.conv1(x)), inplace=True)
        h = self.bn2(self.conv2(h))
        return F.relu(h + identity, inplace=True)


class ResNet18Cifar(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.conv1, self.bn1 = conv3x3(3, width), nn.BatchNorm2d(width)
        layers, c = [], width
        for i, planes in enumerate([width, 2 * width, 4 * width, 8 * width]):
            blocks = []
            for j in range(2):
                blocks.append(BasicBlock(c, planes, 2 if (i > 0 and j == 0) else 1))
                c = planes
            layers.append(nn.Sequential(*blocks))
        self.layer1, self.layer2, self.layer3, self.layer4 = layers
        self.dim = c
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x):
        x = x.contiguous(memory_format=torch.channels_last)
        h = F.relu(self.bn1(self.conv1(x)), inplace=True)
        h = self.layer4(self.layer3(self.layer2(self.layer1(h))))
        return h.mean((2, 3))


class SimClr(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.encoder = ResNet18Cifar(width)
        self.projector = nn.Sequential(nn.Linear(self.encoder.dim, 2048, bias=False), nn.BatchNorm1d(2048),
                                       nn.ReLU(inplace=True), nn.Linear(2048, 128))

    def step(self, v1, v2, temperature=0.5):
        n = v1.shape[0]
        h = self.encoder(torch.cat([v1, v2], 0))
        z = F.normalize(self.projector(h), dim=1)
        logits = (z @ z.t()) / temperature
        logits = logits.masked_fill(torch.eye(2 * n, dtype=torch.bool), float("-inf"))
        idx = torch.arange(n)
        loss = F.cross_entropy(logits, torch.cat([idx + n, idx]))
        std = F.normalize(h.detach(), dim=1).std(0).mean()
        return loss, std


class Block(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.norm1, self.norm2 = nn.LayerNorm(dim, eps=1e-6), nn.LayerNorm(dim, eps=1e-6)
        self.qkv, self.proj = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)
        self.fc1, self.fc2 = nn.Linear(dim, 4 * dim), nn.Linear(4 * dim, dim)

    def forward(self, x):
        b, n, d = x.shape
        q, k, v = self.qkv(self.norm1(x)).reshape(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        # torch 1.13 has no scaled_dot_product_attention: the same computation written out
        attn = ((q @ k.transpose(-2, -1)) * (d // self.heads) ** -0.5).softmax(-1)
        x = x + self.proj((attn @ v).transpose(1, 2).reshape(b, n, d))
        return x + self.fc2(F.gelu(self.fc1(self.norm2(x))))


class VitTiny(nn.Module):
    def __init__(self, image=32, patch=4, dim=192, depth=12, heads=3):
        super().__init__()
        self.patch_embed = nn.Conv2d(3, dim, patch, patch)
        self.cls = nn.Parameter(torch.zeros(1, 1, dim).normal_(0, 0.02))
        self.register_buffer("pos", torch.randn(1, (image // patch) ** 2, dim) * 0.02)  # fixed, like sin-cos
        self.blocks = nn.ModuleList(Block(dim, heads) for _ in range(depth))
        self.norm = nn.LayerNorm(dim, eps=1e-6)

    def forward_visible(self, x, keep):
        t = self.patch_embed(x).flatten(2).transpose(1, 2) + self.pos
        t = t.gather(1, keep.unsqueeze(-1).expand(-1, -1, t.shape[2]))
        t = torch.cat([self.cls.expand(t.shape[0], -1, -1), t], 1)
        for blk in self.blocks:
            t = blk(t)
        return self.norm(t)


def timed(repeats, warmup, body):
    times = []
    for i in range(warmup + repeats):
        t = time.perf_counter()
        body()
        if i >= warmup:
            times.append(time.perf_counter() - t)
    return statistics.median(times), times


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # ru_maxrss is KiB on Linux


def views_input(b, g):
    return [torch.randn(b, 3, 32, 32, generator=g) for _ in range(2)]


def case_train(a):
    torch.manual_seed(0)
    model = SimClr(a.width)
    model.train()
    decay = [p for p in model.parameters() if p.dim() > 1]
    rest = [p for p in model.parameters() if p.dim() <= 1]
    opt = torch.optim.SGD([{"params": decay, "weight_decay": 1e-6}, {"params": rest, "weight_decay": 0}],
                          lr=0.01, momentum=0.9)
    v1, v2 = views_input(a.batch, torch.Generator().manual_seed(0))

    def body():
        loss, std = model.step(v1, v2)
        opt.zero_grad()
        loss.backward()
        opt.step()
        loss.item(), std.item()

    med, times = timed(a.repeats, a.warmup, body)
    return {"ms": med * 1000, "images_per_s": a.batch / med, "times_s": times}


def case_embed(a):
    torch.manual_seed(0)
    enc = ResNet18Cifar(a.width).eval()
    x = torch.randn(a.batch, 3, 32, 32, generator=torch.Generator().manual_seed(0))

    def body():
        with torch.no_grad():
            enc(x).sum().item()

    med, times = timed(a.repeats, a.warmup, body)
    return {"ms": med * 1000, "images_per_s": a.batch / med, "times_s": times}


def case_pipeline(a):
    try:
        import torchvision.transforms as T
    except ImportError:
        return {"skipped": "torchvision is not installed (Debian python3-torchvision)"}
    g = torch.Generator().manual_seed(0)
    data = torch.randint(0, 256, (a.images, 3, 32, 32), dtype=torch.uint8, generator=g)
    s = 0.5
    view = T.Compose([
        T.RandomResizedCrop(32, scale=(0.08, 1.0), antialias=True),
        T.RandomHorizontalFlip(),
        T.RandomApply([T.ColorJitter(0.8 * s, 0.8 * s, 0.8 * s, 0.2 * s)], p=0.8),
        T.RandomGrayscale(0.2),
        T.ConvertImageDtype(torch.float32),
        T.Normalize([0.49, 0.48, 0.45], [0.25, 0.24, 0.26]),
    ])
    order = torch.randperm(a.images, generator=g)
    state = {"next": 0}

    def body():
        start = state["next"] % (a.images - a.batch + 1)
        state["next"] += a.batch
        batch = data.index_select(0, order[start:start + a.batch])
        v1 = torch.stack([view(img) for img in batch])
        v2 = torch.stack([view(img) for img in batch])
        return v1, v2

    med, times = timed(a.repeats, a.warmup, body)
    return {"ms": med * 1000, "images_per_s": a.batch / med, "times_s": times}


def case_vit(a):
    torch.manual_seed(0)
    vit = VitTiny().train()
    decay = [p for p in vit.parameters() if p.dim() > 1]
    rest = [p for p in vit.parameters() if p.dim() <= 1]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05}, {"params": rest, "weight_decay": 0}], lr=1e-4)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(a.batch, 3, 32, 32, generator=g)
    tokens = 64
    kept = max(1, round(tokens * a.keep))

    def body():
        keep = torch.rand(a.batch, tokens, generator=g).argsort(1)[:, :kept]
        loss = vit.forward_visible(x, keep).square().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        loss.item()

    med, times = timed(a.repeats, a.warmup, body)
    return {"model": "vit-tiny/p4", "tokens_kept": kept, "tokens": tokens, "ms": med * 1000,
            "images_per_s": a.batch / med, "times_s": times}


def case_peak(a):
    n = a.matmul_size
    x = torch.randn(n, n)
    y = torch.randn(n, n)
    med, times = timed(a.repeats, a.warmup, lambda: torch.mm(x, y))
    return {"matmul_size": n, "ms": med * 1000, "gflops": 2 * n ** 3 / med / 1e9, "times_s": times}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--case", required=True, choices=["train", "embed", "pipeline", "peak", "vit"])
    p.add_argument("--width", type=int, default=64)
    p.add_argument("--batch", "--batch-size", dest="batch", type=int, default=256)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--images", type=int, default=50000)
    p.add_argument("--matmul-size", type=int, default=2048)
    p.add_argument("--keep", type=float, default=1.0)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    result = {"side": "pytorch", "case": a.case, "width": a.width, "batch": a.batch,
              "threads": torch.get_num_threads(), "torch": torch.__version__}
    result.update(globals()["case_" + a.case](a))
    result["peak_rss_mib"] = round(peak_rss_mib(), 1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
