"""Summarises bench/results/raw.jsonl (written by bench/run.sh) into summary.json, or prints summary.json as tables.

Per case and side, every timed repetition of every round is pooled and the median taken; throughput is batch / median
(peak: 2 n^3 / median). Peak RSS is the largest over the case's processes (each case runs in its own process).
Usage: summarize.py raw.jsonl [memory.json] > summary.json;  summarize.py --table summary.json
"""
import datetime, json, os, statistics, subprocess, sys


def provenance(command):
    """The fields every result file under bench/results carries: the command, the commit, the machine and the date."""
    commit = subprocess.check_output(["git", "rev-parse", "HEAD"], text=True).strip()
    model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown CPU")
    return {"command": command, "commit": commit, "measured_on": f"{os.cpu_count()}-core CPU ({model})",
            "date": datetime.date.today().isoformat()}


def summarise(raw_path, memory_path):
    rows = [json.loads(l) for l in open(raw_path) if l.strip()]
    cases = {}
    for r in rows:
        c = cases.setdefault(r["name"], {})
        s = c.setdefault(r["side"], {"times_s": [], "peak_rss_mib": 0, "processes": 0})
        s["processes"] += 1
        s["peak_rss_mib"] = max(s["peak_rss_mib"], r["peak_rss_mib"])
        s["torch"] = r["torch"]
        s["threads"] = r["threads"]
        if r["case"] == "overhead":
            s["batch"] = r["batch"]
            for k in ("bare_ms", "trainer_ms", "overhead_percent", "overhead_mean_percent", "steps_timed_per_arm"):
                s.setdefault(k + "_per_round", []).append(r[k])
            continue
        s["times_s"] += r["times_s"]
        s["batch"] = r.get("batch")
        s["matmul_size"] = r.get("matmul_size") or s.get("matmul_size")
        s["gflop_per_step"] = r.get("gflop_per_step", s.get("gflop_per_step"))
    out = provenance(os.environ.get("BENCH_COMMAND", "bench/run.sh"))
    out["cases"] = {}
    for name, sides in cases.items():
        entry = {}
        for side, s in sides.items():
            e = {"processes": s["processes"], "peak_rss_mib": s["peak_rss_mib"], "torch": s["torch"], "threads": s["threads"]}
            if name == "overhead":
                e.update({k: v for k, v in s.items() if k.endswith("_per_round")})
                e["batch"] = s["batch"]
                e["overhead_percent_median_of_rounds"] = statistics.median(s["overhead_percent_per_round"])
            else:
                med = statistics.median(s["times_s"])
                e.update({"timed_runs": len(s["times_s"]), "median_s": round(med, 4)})
                if name == "peak":
                    size = max(x.get("matmul_size") or 0 for x in sides.values())
                    e["gflops"] = round(2 * size ** 3 / med / 1e9, 1)
                else:
                    e["images_per_s"] = round(s["batch"] / med, 1)
            entry[side] = e
        if "selfsup" in entry and "pytorch" in entry and "images_per_s" in entry["selfsup"]:
            entry["ratio_selfsup_over_pytorch"] = round(entry["selfsup"]["images_per_s"] / entry["pytorch"]["images_per_s"], 3)
        if "selfsup" in entry and "pytorch" in entry and "gflops" in entry["selfsup"]:
            entry["ratio_selfsup_over_pytorch"] = round(entry["selfsup"]["gflops"] / entry["pytorch"]["gflops"], 3)
        out["cases"][name] = entry
    flops = {}
    gstep = {name: next((r["gflop_per_step"] for r in rows if r["name"] == name and "gflop_per_step" in r), None) for name in cases}
    for name in ("train16", "train64"):
        if name in cases and "peak" in cases and gstep[name]:
            for side in ("selfsup", "pytorch"):
                if side in out["cases"][name] and side in out["cases"]["peak"]:
                    ips = out["cases"][name][side]["images_per_s"]
                    batch = cases[name][side]["batch"]
                    achieved = gstep[name] * ips / batch
                    flops[f"{name}_{side}"] = {"gflop_per_step": round(gstep[name], 1), "gflop_per_s": round(achieved, 2),
                                               "peak_gflops": out["cases"]["peak"][side]["gflops"],
                                               "utilisation": round(achieved / out["cases"]["peak"][side]["gflops"], 3)}
    out["flops"] = flops
    if "pipeline" in out["cases"]:
        p = out["cases"]["pipeline"]["selfsup"]["images_per_s"]
        out["pipeline_over_model"] = {name: round(p / out["cases"][name]["selfsup"]["images_per_s"], 2)
                                      for name in ("train16", "train64") if name in out["cases"]}
    if memory_path and os.path.exists(memory_path):
        out["memory"] = json.load(open(memory_path))
    return out


def table(summary):
    c = summary["cases"]
    print("| case | SelfSup | PyTorch | SelfSup / PyTorch | peak RSS SelfSup / PyTorch (MiB) |")
    print("|---|---|---|---|---|")
    labels = {"train16": "SimCLR step, ResNet-18 w16, 256×2 views (img/s)", "train64": "SimCLR step, ResNet-18 w64, 256×2 views (img/s)",
              "embed16": "embed, ResNet-18 w16, eval, batch 512 (img/s)", "embed64": "embed, ResNet-18 w64, eval, batch 512 (img/s)",
              "pipeline": "data pipeline: cached uint8 → two views, batch 256 (img/s)", "peak": "fp32 matmul 2048² (GFLOP/s)",
              "vit": "ViT-Tiny step, patch 4, all 64 tokens, batch 256 (img/s)", "mae": "MAE encoder step, same ViT, 16 of 64 tokens (img/s)"}
    for name, label in labels.items():
        if name not in c or "pytorch" not in c[name]:
            continue
        key = "gflops" if name == "peak" else "images_per_s"
        s, p = c[name]["selfsup"], c[name]["pytorch"]
        print(f"| {label} | {s[key]} | {p[key]} | **{c[name]['ratio_selfsup_over_pytorch']}×** | {s['peak_rss_mib']:.0f} / {p['peak_rss_mib']:.0f} |")
    if summary.get("flops"):
        print("\n| FLOP utilisation | GFLOP per step | achieved GFLOP/s | matmul peak GFLOP/s | share of peak |")
        print("|---|---|---|---|---|")
        for k, f in summary["flops"].items():
            print(f"| {k} | {f['gflop_per_step']} | {f['gflop_per_s']} | {f['peak_gflops']} | {100 * f['utilisation']:.0f} % |")
    if "pipeline_over_model" in summary:
        print("\npipeline throughput / model consumption (SelfSup):",
              ", ".join(f"{k}: {v}×" for k, v in summary["pipeline_over_model"].items()))
    if "vit" in c and "mae" in c:
        print("\nMAE encoder (25 % of tokens) over the same ViT on all tokens:",
              ", ".join(f"{side} {c['mae'][side]['images_per_s'] / c['vit'][side]['images_per_s']:.2f}×"
                        for side in ("selfsup", "pytorch") if side in c["mae"] and side in c["vit"]))
    if "overhead" in c:
        o = c["overhead"]["selfsup"]
        print(f"Trainer overhead over a bare loop (ResNet-18 w16, batch {o['batch']}): per round {[round(v, 1) for v in o['overhead_percent_per_round']]} %, "
              f"median {o['overhead_percent_median_of_rounds']:.1f} % (median step: bare {[round(v) for v in o['bare_ms_per_round']]} ms, Trainer {[round(v) for v in o['trainer_ms_per_round']]} ms)")
    if "memory" in summary:
        print("memory:", json.dumps(summary["memory"]))


if __name__ == "__main__":
    if sys.argv[1] == "--table":
        table(json.load(open(sys.argv[2])))
    else:
        print(json.dumps(summarise(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None), indent=1))
