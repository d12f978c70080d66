#!/usr/bin/python3
"""Write small random-weight GNMT checkpoints (both torch container formats) and their reference data.

Provenance of test/fixtures/gnmt-tiny/: this script, run with Debian's python3-torch (1.13):

    /usr/bin/python3 tools/make_fixtures.py [--out test/fixtures/gnmt-tiny]

Every checkpoint has the top-level structure of MLPerf's model_best.pth (spec gnmt-model.md §1.2): state_dict,
config (argparse.Namespace with model_config string and math), tokenizer (seq2seq.data.tokenizer.Tokenizer,
written through a sys.modules stand-in so the pickle names the real globals), epoch, loss, optimizer, iteration.
LSTM parameters are views into one flat storage per LSTM (weights first, then biases), like the cuDNN-trained
real file, so tensors have non-zero storage offsets.

Files:
  tiny.legacy.pth      hidden 32, 4 layers, vocab 60, legacy (pre-1.6) format
  tiny.zip.pth         the same checkpoint in the zip format
  tiny.reference.json  reference outputs of tools/gnmt_reference.py for tiny.*: encoder outputs, first-step logits,
                       beam-3 and greedy translations of a few lines
  small.*.pth          hidden 16 variants: module. prefixes + optimizer state + torch.cuda storage names (legacy),
                       float16 (legacy), bfloat16 (zip), float64 (zip), a transposed non-contiguous tensor (zip),
                       and error cases: a missing key, a vocab/embedding mismatch, an unknown pickle global
  manifest.json        per file: format, expected meta, model config, vocab, and per state_dict key its shape,
                       float64 sum, abs-sum and first values (of the values the file really stores, as float32)
"""
import argparse
import hashlib
import io
import json
import os
import sys
from collections import OrderedDict

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gnmt_reference as ref  # noqa: E402

SEED = 20240601
tokmod = ref._install_seq2seq_shim()

# A made-up vocabulary: 4 specials + 56 "BPE" tokens (some with the @@ continuation marker).
WORDS = ('the a man woman dog cat runs sits on in with red blue small big park street ball '
         'eine ein Mann Frau Hund Katze läuft sitzt auf im mit roten blauen kleine großen Park Straße Ball . ,').split()
PIECES = ['re@@', 'un@@', 'ing', 'ed', 'Fuß@@', 'bälle', 'Spiel@@', 'platz', 'wal@@', 'king', 'sch@@', 'ön',
          'gr@@', 'ün', 'ha@@', 'us', 'bl@@', 'ack']
VOCAB = ref.SPECIALS + WORDS + PIECES
assert len(VOCAB) == 60 and len(set(VOCAB)) == 60, len(VOCAB)

LINES = [
    'a man runs in the park .',
    'the small dog sits on a red ball',
    'a woman with a blue ball',
    're@@ un@@ ing wal@@ king .',
    'big cat',
    'the man , the woman and the dog sits in the street .',  # 'and' is unknown → <unk>
]


def flatten_lstm(lstm):
    """Make every parameter of an nn.LSTM a view into one flat storage (weights first, then biases)."""
    names = [n for n in lstm._flat_weights_names if n.startswith('weight')] + \
            [n for n in lstm._flat_weights_names if n.startswith('bias')]
    params = [getattr(lstm, n) for n in names]
    flat = torch.cat([p.data.reshape(-1) for p in params])
    off = 0
    for p in params:
        n = p.numel()
        p.data = flat[off:off + n].view_as(p)
        off += n


def make_model(hidden, seed):
    torch.manual_seed(seed)
    model = ref.build_model(hidden, VOCAB, 4)
    with torch.no_grad():
        att = model.decoder.att_rnn.attn
        att.normalize_bias.normal_(0, 0.3)  # non-zero so the bias path is exercised
        att.normalize_scalar.fill_(1.7)
        emb = model.encoder.embedder.weight
        emb.normal_(0, 1.0)
        emb[ref.PAD].zero_()
        # Larger weights than PyTorch's init so the random model's output depends on its input, and an EOS
        # boost so translations end at varied lengths instead of all running to max_len.
        for p in model.parameters():
            p.mul_(3.0)
        model.decoder.classifier.classifier.bias[ref.EOS] += 1.15
    for m in model.modules():
        if isinstance(m, torch.nn.LSTM):
            flatten_lstm(m)
    return model.eval()


def namespace(hidden, math='fp32'):
    return argparse.Namespace(
        dataset_dir='data/made-up', results_dir='results', save='gnmt', print_freq=10,
        model_config="{'hidden_size': %d,'num_layers': 4, 'dropout': 0.2, 'share_embedding': True}" % hidden,
        smoothing=0.1, math=math, seed=1, cuda=True, batch_size=128, epochs=8, grad_clip=5.0,
        beam_size=5, len_norm_factor=0.6, cov_penalty_factor=0.1, len_norm_const=5.0, resume=None)


def checkpoint(model, hidden, state_dict=None, vocab=VOCAB, optimizer=None, extra=None):
    ck = {
        'epoch': 3,
        'state_dict': model.state_dict() if state_dict is None else state_dict,
        'optimizer': optimizer,
        'loss': 2.718281828459045,
        'config': namespace(hidden),
        'tokenizer': tokmod.Tokenizer(vocab),
        'iteration': 42,
    }
    if extra:
        ck.update(extra)
    return ck


def save(obj, path, fmt):
    buf = io.BytesIO()
    torch.save(obj, buf, _use_new_zipfile_serialization=(fmt == 'zip'))
    data = buf.getvalue()
    with open(path, 'wb') as f:
        f.write(data)
    return data


def describe_sd(sd):
    out = OrderedDict()
    for k, v in sd.items():
        f = v.detach().float()
        flat = f.contiguous().view(-1)
        out[k] = {
            'shape': list(v.shape),
            'stride': list(v.stride()),
            'storage_offset': v.storage_offset(),
            'dtype': str(v.dtype).replace('torch.', ''),
            'sum': float(f.double().sum()),
            'abs_sum': float(f.double().abs().sum()),
            'first': [float(x) for x in flat[:4]],
            'last': float(flat[-1]),
        }
    return out


def tag(v):
    """A JSON form of a Python value that keeps the distinctions the JS unpickler must keep."""
    if v is None or isinstance(v, bool):
        return v
    if isinstance(v, int):
        return {'num': v} if abs(v) <= 2 ** 53 - 1 else {'big': str(v)}
    if isinstance(v, float):
        return {'num': v}
    if isinstance(v, str):
        return {'str': v}
    if isinstance(v, (bytes, bytearray)):
        return {'bytes': bytes(v).hex()}
    if isinstance(v, list):
        return {'list': [tag(x) for x in v]}
    if isinstance(v, tuple):
        return {'tuple': [tag(x) for x in v]}
    if isinstance(v, dict):
        return {'dict': [[tag(k), tag(x)] for k, x in v.items()]}
    if isinstance(v, (set, frozenset)):
        return {'set': [tag(x) for x in v]}
    raise TypeError(type(v))


def pickle_samples(out):
    """pickle.dumps of one data structure at protocols 2–5 (plain data only), plus its tagged JSON form."""
    import pickle
    shared = ['shared', 1]
    value = OrderedDict([
        ('ints', [0, 1, -1, 255, 256, 65535, 65536, -2 ** 31, 2 ** 31 - 1, 2 ** 31, 2 ** 53 - 1, 2 ** 53, -2 ** 63,
                  2 ** 80 + 12345, -(2 ** 100)]),
        ('floats', [0.0, -0.0, 1.5, -2.25e-300, 3.4028234663852886e38, 0.1]),
        ('strs', ['', 'a', 'Straße', '<\\s>', 'x' * 300, '\u00e4\U0001F600']),
        ('bytes', [b'', b'\x00\xff', bytes(range(256)) * 2, bytearray(b'ba')]),
        ('tuples', [(), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4), ((),)]),
        ('consts', [None, True, False]),
        ('nested', {1: 'one', 'two': [2, {'k': (3,)}], (4, 5): None}),
        ('sets', [set(), {1, 2, 3}, frozenset({'a'})]),
        ('memo', [shared, shared, shared]),
        ('many', list(range(1100))),
        ('big_dict', {i: str(i) for i in range(300)}),
    ])
    os.makedirs(out, exist_ok=True)
    for proto in (2, 3, 4, 5):
        with open(os.path.join(out, f'sample.p{proto}.pkl'), 'wb') as f:
            f.write(pickle.dumps(value, protocol=proto))
    with open(os.path.join(out, 'sample.json'), 'w') as f:
        json.dump(tag(value), f, ensure_ascii=False)
        f.write('\n')


def write_full(path, fmt, hidden=1024, vocab_size=32317, with_optimizer=False):
    """A full-size random checkpoint for memory measurements (never committed). with_optimizer adds an
    Adam-shaped state (exp_avg, exp_avg_sq per parameter), like the real file, which a loader must skip."""
    vocab = ref.SPECIALS + [f'tok{i}' for i in range(vocab_size - 4)]
    torch.manual_seed(SEED)
    model = ref.build_model(hidden, vocab, 4)
    for m in model.modules():
        if isinstance(m, torch.nn.LSTM):
            flatten_lstm(m)
    optimizer = None
    if with_optimizer:
        params = list(model.parameters())
        optimizer = {'state': {i: {'step': 100, 'exp_avg': torch.randn_like(p), 'exp_avg_sq': torch.rand_like(p)}
                               for i, p in enumerate(params)},
                     'param_groups': [{'lr': 1e-3, 'betas': (0.9, 0.999), 'eps': 1e-8, 'weight_decay': 0,
                                       'amsgrad': False, 'params': list(range(len(params)))}]}
    ck = checkpoint(model, hidden, vocab=vocab, optimizer=optimizer)
    torch.save(ck, path, _use_new_zipfile_serialization=(fmt == 'zip'))
    n = sum(p.numel() for p in model.parameters())
    print(f'{path}: {fmt}, {n} parameters, {n * 4} weight bytes, {os.path.getsize(path)} file bytes')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', default=os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'gnmt-tiny'))
    ap.add_argument('--full', help='instead: write a full-size (H=1024, V=32317) random checkpoint to this path')
    ap.add_argument('--format', default='legacy', choices=['legacy', 'zip'], help='container format for --full')
    ap.add_argument('--with-optimizer', action='store_true', help='--full: add Adam-shaped optimizer state')
    args = ap.parse_args()
    if args.full:
        write_full(args.full, args.format, with_optimizer=args.with_optimizer)
        return
    pickle_samples(os.path.join(args.out, '..', 'pickle'))
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(1)
    manifest = OrderedDict(_about=__doc__.strip().split('\n')[0], files=OrderedDict())

    def record(name, fmt, data, sd, vocab=VOCAB, hidden=32, error=None, notes=''):
        entry = OrderedDict(format=fmt, bytes=len(data), sha256=hashlib.sha256(data).hexdigest(), notes=notes)
        if error:
            entry['error'] = error
        else:
            entry.update(model_config={'hidden_size': hidden, 'num_layers': 4, 'dropout': 0.2, 'share_embedding': True},
                         math='fp32', epoch=3, loss=2.718281828459045, iteration=42, vocab=vocab,
                         state_dict=describe_sd(sd))
        manifest['files'][name] = entry

    # --- the main tiny model, both formats
    tiny = make_model(32, SEED)
    sd = tiny.state_dict()
    for fmt in ('legacy', 'zip'):
        data = save(checkpoint(tiny, 32), os.path.join(args.out, f'tiny.{fmt}.pth'), fmt)
        record(f'tiny.{fmt}.pth', fmt, data, sd, notes='LSTM tensors are views into one flat storage per LSTM')

    # --- hidden-16 variants
    small = make_model(16, SEED + 1)
    ssd = small.state_dict()

    # module. prefixes (DistributedDataParallel style, plus an inner one to exercise "every occurrence"),
    # Adam optimizer state that the loader must skip, and torch.cuda.* storage class names like the 2019 file.
    opt = torch.optim.Adam(small.parameters(), lr=1e-3)
    src, lengths, _ = ref.make_batch(small, LINES[:2])
    logits, _, _ = small.decoder(src[:, :3], small.encode(src, lengths), lengths, None)
    logits.sum().backward()
    opt.step()
    ssd = small.state_dict()  # after the step
    prefixed = OrderedDict(('module.' + k.replace('att_rnn.attn.', 'att_rnn.module.attn.'), v) for k, v in ssd.items())
    data = save(checkpoint(small, 16, prefixed, optimizer=opt.state_dict()), os.path.join(args.out, 'small.module.pth'), 'legacy')
    data = data.replace(b'ctorch\nFloatStorage\n', b'ctorch.cuda\nFloatStorage\n')
    with open(os.path.join(args.out, 'small.module.pth'), 'wb') as f:
        f.write(data)
    record('small.module.pth', 'legacy', data, ssd, hidden=16,
           notes='keys prefixed with module. (and an inner module.), Adam state, torch.cuda.FloatStorage')

    for dtype, fmt in ((torch.float16, 'legacy'), (torch.bfloat16, 'zip'), (torch.float64, 'zip')):
        conv = OrderedDict((k, v.to(dtype)) for k, v in ssd.items())
        name = f'small.{str(dtype).replace("torch.", "")}.pth'
        data = save(checkpoint(small, 16, conv), os.path.join(args.out, name), fmt)
        record(name, fmt, data, conv, hidden=16, notes=f'state_dict stored as {dtype}; loads as float32')

    nc = OrderedDict(ssd)
    w = ssd['decoder.classifier.classifier.weight']
    nc['decoder.classifier.classifier.weight'] = w.t().contiguous().t()  # same values, column-major strides
    assert not nc['decoder.classifier.classifier.weight'].is_contiguous()
    data = save(checkpoint(small, 16, nc), os.path.join(args.out, 'small.noncontig.pth'), 'zip')
    record('small.noncontig.pth', 'zip', data, nc, hidden=16, notes='classifier weight stored transposed (strides [1, 16])')

    # --- error cases
    miss = OrderedDict((k, v) for k, v in ssd.items() if k not in ('decoder.att_rnn.attn.linear_att', 'encoder.rnn_layers.3.bias_hh_l0'))
    data = save(checkpoint(small, 16, miss), os.path.join(args.out, 'small.missing-key.pth'), 'zip')
    record('small.missing-key.pth', 'zip', data, None, error='checkpoint/missing-keys',
           notes='decoder.att_rnn.attn.linear_att and encoder.rnn_layers.3.bias_hh_l0 removed')
    data = save(checkpoint(small, 16, vocab=VOCAB[:-3]), os.path.join(args.out, 'small.vocab-mismatch.pth'), 'legacy')
    record('small.vocab-mismatch.pth', 'legacy', data, None, error='checkpoint/vocab-mismatch',
           notes='tokenizer has 57 tokens, embedding has 60 rows')
    data = save(checkpoint(small, 16, extra={'hook': os.system}), os.path.join(args.out, 'small.unknown-global.pth'), 'legacy')
    record('small.unknown-global.pth', 'legacy', data, None, error='checkpoint/unknown-global',
           notes='references os.system (pickled as posix.system); nothing may be executed')

    with open(os.path.join(args.out, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=1, ensure_ascii=False)
        f.write('\n')

    # --- reference outputs for tiny.*
    with torch.no_grad():
        reloaded = ref.load_checkpoint(os.path.join(args.out, 'tiny.legacy.pth'))
        src, lengths, order = ref.make_batch(reloaded, LINES)
        enc = reloaded.encode(src, lengths)
        n = src.shape[0]
        logits, attn, _ = reloaded.decoder(torch.full((n, 1), ref.BOS, dtype=torch.int64), enc, lengths, None)
        outputs = OrderedDict()
        for beam in (3, 1):
            counters = []
            ids = ref.translate_ids(reloaded, LINES, beam=beam, batch=len(LINES), max_len=20, counters=counters)
            outputs[f'beam{beam}'] = OrderedDict(
                ids=ids, bpe=[' '.join(VOCAB[i] for i in s) for s in ids], decoder_iters=counters)
    refjson = OrderedDict(
        _about='tools/gnmt_reference.py on tiny.legacy.pth (fp32, CPU). One batch of all lines, sorted by source '
               'length (stable), batch_first. encoder_output[r] / first_step_* rows are in batch-row order '
               '(batch_order[r] = line index). Translations: max_len 20, len-norm 0.6/5.0, coverage 0.1, in line order.',
        lines=LINES,
        src_ids=[ref.segment(reloaded, l) for l in LINES],
        batch_order=order,
        src_lengths=lengths.tolist(),
        encoder_output_shape=list(enc.shape),
        encoder_output=[float(x) for x in enc.reshape(-1)],
        first_step_logits=[[float(x) for x in row] for row in logits[:, 0, :]],
        first_step_attention=[[float(x) for x in row] for row in attn[:, 0, :]],
        **outputs,
    )
    with open(os.path.join(args.out, 'tiny.reference.json'), 'w') as f:
        json.dump(refjson, f, indent=1, ensure_ascii=False)
        f.write('\n')
    for name in sorted(os.listdir(args.out)):
        print(f'{os.path.getsize(os.path.join(args.out, name)):>9}  {name}')
    print('beam3:', outputs['beam3']['bpe'], '\nbeam1:', outputs['beam1']['bpe'], file=sys.stderr)


if __name__ == '__main__':
    main()
