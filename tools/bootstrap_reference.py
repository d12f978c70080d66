"""Reference numbers for qnmt's bootstrap resampling: test/fixtures/sacrebleu-bootstrap-test2016.json (not run by tests).

sacrebleu 2.x (`--confidence`, `--paired-bs`) resamples with numpy: `np.random.default_rng(12345).choice(n, (1000, n))`
on every system, scores each resample from the summed float32 per-sentence statistics and reports estimate_ci's
mean and half-width and the paired p-value. sacrebleu itself is not installable here (no Debian package, no PyPI),
so this script runs the same steps with the real numpy (Debian python3-torch brings it): the index matrix comes from
numpy's own generator, and sacrebleu 2.x's BLEU (intl tokenizer, -lc, exp smoothing), estimate_ci and
_paired_bs_test are transcribed below from sacrebleu 2.x's source.

Usage: python3 tools/bootstrap_reference.py > test/fixtures/sacrebleu-bootstrap-test2016.json
"""
import hashlib
import json
import math
from collections import Counter

import numpy as np
import regex

F = 'fixtures/multi30k-gnmt256/'
SEED = 12345
SAMPLES = 1000

# sacrebleu 2.x TokenizerV14International ('intl')
INTL = [(regex.compile(r'(\P{N})(\p{P})'), r'\1 \2 '), (regex.compile(r'(\p{P})(\P{N})'), r' \1 \2'), (regex.compile(r'(\p{S})'), r' \1 ')]


def tokenize(line):
    for rx, repl in INTL:
        line = rx.sub(repl, line)
    return ' '.join(line.split())


def ngrams(tokens):
    return Counter(tuple(tokens[i:i + n]) for n in range(1, 5) for i in range(len(tokens) - n + 1))


def sentence_stats(hyp, ref):
    """sacrebleu 2.x BLEU._extract_corpus_statistics for one sentence, one reference, lowercase."""
    h = tokenize(hyp.lower().rstrip()).split()
    r = tokenize(ref.lower().rstrip()).split()
    hg, rg = ngrams(h), ngrams(r)
    correct = [0] * 4
    total = [0] * 4
    for g, c in hg.items():
        total[len(g) - 1] += c
        correct[len(g) - 1] += min(c, rg.get(g, 0))
    return [len(h), len(r)] + correct + total


def compute_bleu(stats):
    """sacrebleu 2.x BLEU._compute_score_from_stats (exp smoothing), on numpy float32 sums as sacrebleu passes them."""
    correct, total = stats[2:6], stats[6:10]
    sys_len, ref_len = int(stats[0]), int(stats[1])
    precisions = [0.0] * 4
    smooth_mteval = 1.0
    for n in range(4):
        if total[n] == 0:
            break
        if correct[n] == 0:
            smooth_mteval *= 2
            precisions[n] = 100. / (smooth_mteval * total[n])
        else:
            precisions[n] = 100. * correct[n] / total[n]
    bp = 1.0 if sys_len >= ref_len else (math.exp(1 - ref_len / sys_len) if sys_len > 0 else 0.0)
    return bp * math.exp(sum(math.log(p) if p > 0 else -9999999999 for p in precisions) / 4)


def estimate_ci(scores):
    scores = np.sort(scores)
    lower_idx = len(scores) // 40
    upper_idx = len(scores) - lower_idx - 1
    return float(scores.mean()), float(0.5 * (scores[upper_idx] - scores[lower_idx]))


def lines(path):
    return open(F + path, encoding='utf-8').read().split('\n')[:-1]


ref = lines('data/test2016.raw.de')
systems = {f'fp32/test2016.beam{b}.detok.de': lines(f'fp32/test2016.beam{b}.detok.de') for b in (10, 5, 1)}
idxs = np.random.default_rng(SEED).choice(len(ref), size=(SAMPLES, len(ref)), replace=True)

out = {'how': 'tools/bootstrap_reference.py: numpy ' + np.__version__ + ' default_rng(12345).choice + sacrebleu 2.x BLEU/estimate_ci/paired-bs steps',
       'ref': 'data/test2016.raw.de', 'tokenize': 'intl (sacrebleu 2.x)', 'lowercase': True, 'samples': SAMPLES, 'seed': SEED,
       'indices_first_row_head': idxs[0, :20].tolist(), 'indices_last_row_tail': idxs[-1, -20:].tolist(),
       'indices_sha256': hashlib.sha256(idxs.astype('<i4').tobytes()).hexdigest(), 'systems': []}
scores = {}
for name, hyp in systems.items():
    stats = np.array([sentence_stats(h, r) for h, r in zip(hyp, ref)], dtype='float32')
    resampled = np.array([compute_bleu(s.sum(0)) for s in stats[idxs]])
    mean, ci = estimate_ci(resampled)
    actual = compute_bleu([int(x) for x in stats.sum(0, dtype='int64')])
    scores[name] = (actual, resampled)
    out['systems'].append({'hyp': name, 'score': actual, 'mean': mean, 'ci': ci})
baseline = 'fp32/test2016.beam10.detok.de'
bl_actual, bl_scores = scores[baseline]
for entry in out['systems']:
    if entry['hyp'] == baseline:
        continue
    actual, sys_scores = scores[entry['hyp']]
    diff = abs(bl_actual - actual)
    sample_diffs = np.abs(sys_scores - bl_scores)
    stats = sample_diffs - sample_diffs.mean()
    entry['p_value_vs_beam10'] = (np.sum(stats > diff).item() + 1) / (len(stats) + 1)
print(json.dumps(out, indent=1))
