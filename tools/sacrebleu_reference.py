"""Reference BLEU numbers from the real sacrebleu for test/fixtures/sacrebleu-2.6.0-test2016.json (not run by tests).

sacrebleu 1.2.10 (the spec's version) is no longer installable from PyPI here, so this uses 2.6.0, whose 13a
tokenizer, `intl` tokenizer (= qnmt's 'intl-v14') and exp smoothing compute the same statistics; chrF is
sacrebleu 2.x's (qnmt implements that one).
Usage: python3 tools/sacrebleu_reference.py > test/fixtures/sacrebleu-2.6.0-test2016.json   (pip install sacrebleu==2.6.0)
"""
import json
import sacrebleu

F = 'fixtures/multi30k-gnmt256/'
ref = open(F + 'data/test2016.raw.de', encoding='utf-8').read().split('\n')[:-1]
rows = []
for beam in [10, 5, 1]:
    hyp = open(F + f'fp32/test2016.beam{beam}.detok.de', encoding='utf-8').read().split('\n')[:-1]
    for tok in ['13a', 'intl']:
        for lc in [False, True]:
            r = sacrebleu.corpus_bleu(hyp, [ref], tokenize=tok, lowercase=lc)
            rows.append({'hyp': f'fp32/test2016.beam{beam}.detok.de', 'tokenize': tok, 'lowercase': lc, 'score': r.score,
                         'counts': r.counts, 'totals': r.totals, 'sys_len': r.sys_len, 'ref_len': r.ref_len})
chrf = []
for beam in [10, 5, 1]:
    hyp = open(F + f'fp32/test2016.beam{beam}.detok.de', encoding='utf-8').read().split('\n')[:-1]
    for word_order in [0, 2]:
        for lc in [False, True]:
            m = sacrebleu.metrics.CHRF(word_order=word_order, lowercase=lc)
            r = m.corpus_score(hyp, [ref])
            chrf.append({'hyp': f'fp32/test2016.beam{beam}.detok.de', 'word_order': word_order, 'lowercase': lc,
                         'score': r.score, 'signature': str(m.get_signature())})
print(json.dumps({'sacrebleu': sacrebleu.__version__, 'ref': 'data/test2016.raw.de', 'results': rows, 'chrf': chrf}, indent=1))
