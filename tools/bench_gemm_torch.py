#!/usr/bin/env python3
"""PyTorch CPU reference numbers for bench/gemm.ts (not used at run time or in tests).

Times C = A·Wᵀ the way the PyTorch GNMT reference computes it: F.linear in fp32 (and the
mkldnn Linear, see below), and a quantize_dynamic int8 nn.Linear (u8 activations quantized per call, s8 weights, float output).
Prints one JSON object per line: {"impl", "dtype", "m", "k", "n", "threads", "median_s", "gops"}.

Usage: /usr/bin/python3 tools/bench_gemm_torch.py --threads 2 --shapes 640x2048x4096,64x1024x4096
Run one thread count per process (bench/gemm.ts does): one OpenMP pool per process.
"""
import argparse
import json
import statistics
import time

import torch
import torch.utils.mkldnn


def median_time(fn, min_reps, min_seconds):
    fn()
    fn()
    times = []
    start = time.perf_counter()
    while len(times) < min_reps or time.perf_counter() - start < min_seconds:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--shapes", required=True, help="comma-separated MxKxN")
    ap.add_argument("--min-reps", type=int, default=5)
    ap.add_argument("--min-seconds", type=float, default=1.0)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    engines = torch.backends.quantized.supported_engines
    engine = "onednn" if "onednn" in engines else ("fbgemm" if "fbgemm" in engines else engines[0])
    torch.backends.quantized.engine = engine
    torch.manual_seed(0)

    for shape in args.shapes.split(","):
        m, k, n = (int(v) for v in shape.split("x"))
        a = torch.randn(m, k)
        w = torch.randn(n, k)
        ops = 2.0 * m * k * n
        with torch.no_grad():
            t = median_time(lambda: torch.nn.functional.linear(a, w), args.min_reps, args.min_seconds)
            print(json.dumps({"impl": "torch.linear", "dtype": "f32", "m": m, "k": k, "n": n,
                              "threads": args.threads, "median_s": t, "gops": ops / t / 1e9}), flush=True)
            # Debian's torch has no MKL and calls the system BLAS (reference BLAS unless OpenBLAS is
            # installed), so also time its own oneDNN path, fed with dense tensors like a model would.
            ml = torch.utils.mkldnn.to_mkldnn(torch.nn.Linear(k, n, bias=False))
            t = median_time(lambda: ml(a.to_mkldnn()).to_dense(), args.min_reps, args.min_seconds)
            print(json.dumps({"impl": "torch.mkldnn.Linear", "dtype": "f32", "m": m, "k": k, "n": n,
                              "threads": args.threads, "median_s": t, "gops": ops / t / 1e9}), flush=True)
            lin = torch.nn.Sequential(torch.nn.Linear(k, n, bias=False))
            lin[0].weight.copy_(w)
            q = torch.ao.quantization.quantize_dynamic(lin, {torch.nn.Linear}, dtype=torch.qint8)
            t = median_time(lambda: q(a), args.min_reps, args.min_seconds)
            print(json.dumps({"impl": f"torch.quantize_dynamic({engine})", "dtype": "int8", "m": m, "k": k, "n": n,
                              "threads": args.threads, "median_s": t, "gops": ops / t / 1e9}), flush=True)


if __name__ == "__main__":
    main()
