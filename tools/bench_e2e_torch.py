#!/usr/bin/python3
"""PyTorch CPU side of bench/e2e.ts: time one GNMT translation run (not used at run time or in tests).

Runs tools/gnmt_reference.py (the PyTorch GNMT written from qnmt's specs, same batching and beam search) on
the first --limit lines of a BPE'd file, in FP32 or with torch.ao.quantization.quantize_dynamic (qint8
weights, activations quantized per call) on every nn.Linear and nn.LSTM of the model. One measurement per
process (one OpenMP pool), torch.set_num_threads(--threads).

Prints one JSON object on stdout: seconds (translation only, after loading and quantizing, like qnmt
translate's "seconds"), sentences, decoder iterations per batch, what was quantized, the peak RSS of this
process (ru_maxrss) and a matmul sanity figure (GFLOPS of a 640x1024x4096 F.linear with these threads):
Debian's python3-torch has no MKL and calls the system libblas.so.3, which is the slow reference BLAS unless
OpenBLAS is installed (apt-get install -y libopenblas0-openmp); expect ~100 GFLOPS per thread on Zen 4.

Usage: /usr/bin/python3 tools/bench_e2e_torch.py -m model_best.pth -i src.bpe.en -o out.bpe.de \
           --mode fp32|int8 --beam 5 --batch 128 --max-len 80 --limit 128 --threads 2
"""
import argparse
import json
import os
import resource
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gnmt_reference as ref  # noqa: E402


def matmul_gflops(seconds=0.5):
    a, w = torch.randn(640, 1024), torch.randn(4096, 1024)
    with torch.no_grad():
        torch.nn.functional.linear(a, w)
        n, t0 = 0, time.perf_counter()
        while n < 3 or time.perf_counter() - t0 < seconds:
            torch.nn.functional.linear(a, w)
            n += 1
    return 2.0 * 640 * 1024 * 4096 * n / (time.perf_counter() - t0) / 1e9


def quantize(model):
    """quantize_dynamic on {nn.Linear, nn.LSTM}; returns the model and the names of what got swapped."""
    engines = torch.backends.quantized.supported_engines
    engine = 'onednn' if 'onednn' in engines else ('fbgemm' if 'fbgemm' in engines else engines[0])
    torch.backends.quantized.engine = engine
    q = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear, torch.nn.LSTM}, dtype=torch.qint8)
    q.vocab, q.config = model.vocab, model.config
    swapped = [f'{name} ({type(m).__name__})' for name, m in q.named_modules()
               if isinstance(m, (torch.ao.nn.quantized.dynamic.Linear, torch.ao.nn.quantized.dynamic.LSTM))]
    return q, engine, swapped


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('-m', '--model', required=True)
    ap.add_argument('-i', '--input', required=True)
    ap.add_argument('-o', '--output', required=True, help='BPE-level output lines')
    ap.add_argument('--mode', choices=['fp32', 'int8'], default='fp32')
    ap.add_argument('--beam', type=int, default=5)
    ap.add_argument('--batch', type=int, default=128)
    ap.add_argument('--max-len', type=int, default=80)
    ap.add_argument('--limit', type=int, default=0, help='only the first N lines')
    ap.add_argument('--threads', type=int, default=2)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    gflops = matmul_gflops()
    t0 = time.perf_counter()
    model = ref.load_checkpoint(args.model)
    engine, swapped = None, []
    if args.mode == 'int8':
        model, engine, swapped = quantize(model)
    load_seconds = time.perf_counter() - t0
    with open(args.input, encoding='utf-8') as f:
        lines = f.read().split('\n')
    if lines and lines[-1] == '':
        lines.pop()
    if args.limit:
        lines = lines[:args.limit]

    counters = []
    t0 = time.perf_counter()
    out = ref.translate(model, lines, args.beam, args.batch, args.max_len, counters)
    seconds = time.perf_counter() - t0
    with open(args.output, 'w', encoding='utf-8') as f:
        f.write(''.join(o + '\n' for o in out))
    print(json.dumps({
        'impl': f'torch-{args.mode}',
        'torch': torch.__version__,
        'threads': torch.get_num_threads(),
        'matmul_gflops': gflops,
        'quantized_engine': engine,
        'quantized_modules': swapped,
        'load_seconds': load_seconds,
        'seconds': seconds,
        'sentences': len(lines),
        'decoder_iterations': counters,
        'max_rss_kb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }), flush=True)


if __name__ == '__main__':
    main()
