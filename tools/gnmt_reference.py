#!/usr/bin/python3
"""PyTorch reference GNMT (MLPerf v0.5 / Distiller examples/GNMT), written from qnmt's specs.

Model: shared/spec/gnmt-model.md §3 (packed bidirectional encoder layer 0, normalized Bahdanau attention
with -65504 masking, gnmt_v2 decoder, classifier). Inference: shared/spec/gnmt-inference.md §3–§4
(batching and sorting, beam search with all its quirks: coverage not reordered, late length normalisation,
finished-beam handling; greedy search for beam 1).

This is a test/benchmark tool, never used by qnmt at run time. Run with Debian's python3 + python3-torch:

    /usr/bin/python3 tools/gnmt_reference.py -m fixtures/multi30k-gnmt256/model_best.pth \
        -i fixtures/multi30k-gnmt256/data/test2016.tok.bpe.en -o /tmp/out.bpe.de --beam 5

Module API (used by the benchmark helper):
    build_model(hidden, vocab, num_layers=4) -> GNMT      (random init; vocab = list of tokens or an int size)
    load_checkpoint(path) -> GNMT                          (model.vocab = idx2tok list, model.config dict)
    translate(model, lines, beam, batch, max_len) -> list of BPE output lines (tokens joined by spaces)
"""
import argparse
import sys
import types

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

PAD, UNK, BOS, EOS = 0, 1, 2, 3
SPECIALS = ['<pad>', '<unk>', '<s>', '<\\s>']


# ----------------------------------------------------------------------------------------------- model

class BahdanauAttention(nn.Module):
    """Normalized Bahdanau attention (spec §3.3). Own parameters are registered before the children so the
    state_dict order matches the checkpoint's."""

    def __init__(self, hidden):
        super().__init__()
        self.linear_att = nn.Parameter(torch.empty(hidden).uniform_(-0.1, 0.1))
        self.normalize_scalar = nn.Parameter(torch.tensor([1.0 / hidden ** 0.5]))
        self.normalize_bias = nn.Parameter(torch.zeros(hidden))
        self.linear_q = nn.Linear(hidden, hidden, bias=False)
        self.linear_k = nn.Linear(hidden, hidden, bias=False)

    def forward(self, query, keys, mask):
        # query (B, tq, H), keys (B, tk, H), mask (B, tk) True at padded positions
        b, tk, h = keys.shape
        tq = query.shape[1]
        pq = self.linear_q(query).unsqueeze(2).expand(b, tq, tk, h)
        pk = self.linear_k(keys).unsqueeze(1).expand(b, tq, tk, h)
        s = pq + pk
        s = s + self.normalize_bias
        a = self.linear_att / self.linear_att.norm()
        a = a * self.normalize_scalar
        scores = torch.tanh(s).matmul(a)
        scores = scores.masked_fill(mask.unsqueeze(1).expand(b, tq, tk), -65504.0)
        p = F.softmax(scores, dim=-1)
        return torch.bmm(p, keys), p


class RecurrentAttention(nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.rnn = nn.LSTM(hidden, hidden, 1, bias=True, batch_first=True)
        self.attn = BahdanauAttention(hidden)

    def forward(self, x, hidden, context, mask):
        r, h = self.rnn(x, hidden)
        attn, p = self.attn(r, context, mask)
        return r, h, attn, p


class Classifier(nn.Module):
    def __init__(self, hidden, vocab_size):
        super().__init__()
        self.classifier = nn.Linear(hidden, vocab_size)

    def forward(self, x):
        return self.classifier(x)


class Encoder(nn.Module):
    def __init__(self, vocab_size, hidden, num_layers, embedder):
        super().__init__()
        self.rnn_layers = nn.ModuleList()
        self.rnn_layers.append(nn.LSTM(hidden, hidden, 1, bias=True, batch_first=True, bidirectional=True))
        self.rnn_layers.append(nn.LSTM(2 * hidden, hidden, 1, bias=True, batch_first=True))
        for _ in range(num_layers - 2):
            self.rnn_layers.append(nn.LSTM(hidden, hidden, 1, bias=True, batch_first=True))
        self.embedder = embedder

    def forward(self, src, lengths):
        x = self.embedder(src)
        x = pack_padded_sequence(x, lengths.cpu(), batch_first=True)
        x, _ = self.rnn_layers[0](x)
        x, _ = pad_packed_sequence(x, batch_first=True)
        x = self.rnn_layers[1](x)[0]
        for i in range(2, len(self.rnn_layers)):
            residual = x
            x, _ = self.rnn_layers[i](x)
            x = x + residual
        return x


class Decoder(nn.Module):
    def __init__(self, vocab_size, hidden, num_layers, embedder):
        super().__init__()
        self.num_layers = num_layers
        self.att_rnn = RecurrentAttention(hidden)
        self.rnn_layers = nn.ModuleList(
            [nn.LSTM(2 * hidden, hidden, 1, bias=True, batch_first=True) for _ in range(num_layers - 1)])
        self.embedder = embedder
        self.classifier = Classifier(hidden, vocab_size)

    def forward(self, y, context, lengths, state):
        """One or more decoder steps. state: None or the (2*num_layers, B, H) packed [h_att, c_att, h_0, c_0, ...]."""
        if state is None:
            hidden = [None] * self.num_layers
        else:
            hidden = [tuple(c.contiguous() for c in chunk.chunk(2)) for chunk in state.chunk(self.num_layers)]
        tk = context.shape[1]
        mask = torch.arange(tk).unsqueeze(0) >= lengths.unsqueeze(1)
        x = self.embedder(y)
        new = []
        x, h, attn, p = self.att_rnn(x, hidden[0], context, mask)
        new += list(h)
        x, h = self.rnn_layers[0](torch.cat((x, attn), dim=2), hidden[1])
        new += list(h)
        for i in range(1, len(self.rnn_layers)):
            residual = x
            x, h = self.rnn_layers[i](torch.cat((x, attn), dim=2), hidden[i + 1])
            new += list(h)
            x = x + residual
        logits = self.classifier(x)
        return logits, p, torch.cat(new)


class GNMT(nn.Module):
    def __init__(self, vocab_size, hidden_size=1024, num_layers=4, share_embedding=True):
        super().__init__()
        emb_enc = nn.Embedding(vocab_size, hidden_size, padding_idx=PAD)
        emb_dec = emb_enc if share_embedding else nn.Embedding(vocab_size, hidden_size, padding_idx=PAD)
        self.encoder = Encoder(vocab_size, hidden_size, num_layers, emb_enc)
        self.decoder = Decoder(vocab_size, hidden_size, num_layers, emb_dec)
        self.vocab = None
        self.config = {}

    def encode(self, src, lengths):
        return self.encoder(src, lengths)

    def generate(self, words, context, lengths, state, k):
        logits, p, state = self.decoder(words, context, lengths, state)
        logprobs = F.log_softmax(logits, dim=-1)
        logprobs, ids = logprobs.topk(k, dim=-1)
        return ids, logprobs, p, state


def build_model(hidden, vocab, num_layers=4, seed=None):
    """A randomly initialised GNMT. `vocab` is a token list (kept as model.vocab) or a size."""
    if seed is not None:
        torch.manual_seed(seed)
    size = vocab if isinstance(vocab, int) else len(vocab)
    model = GNMT(size, hidden, num_layers).eval()
    model.vocab = None if isinstance(vocab, int) else list(vocab)
    return model


# ----------------------------------------------------------------------------------------------- checkpoint

def _install_seq2seq_shim():
    """Stand-ins for the globals the MLPerf checkpoint pickles (seq2seq.data.tokenizer.Tokenizer and default)."""
    if 'seq2seq.data.tokenizer' in sys.modules:
        return sys.modules['seq2seq.data.tokenizer']
    pkg, data, tok = (types.ModuleType(n) for n in ('seq2seq', 'seq2seq.data', 'seq2seq.data.tokenizer'))

    class Tokenizer:
        def __init__(self, vocab=None, separator='@@'):
            self.separator = separator
            if vocab is not None:
                from collections import defaultdict
                self.tok2idx = defaultdict(default)
                for idx, t in enumerate(vocab):
                    self.tok2idx[t] = idx
                self.idx2tok = {v: k for k, v in self.tok2idx.items()}
                self.vocab_size = len(vocab)

    def default():
        return UNK

    Tokenizer.__module__ = default.__module__ = 'seq2seq.data.tokenizer'
    Tokenizer.__qualname__ = 'Tokenizer'
    default.__qualname__ = 'default'
    tok.Tokenizer, tok.default = Tokenizer, default
    pkg.data, data.tokenizer = data, tok
    sys.modules.update({'seq2seq': pkg, 'seq2seq.data': data, 'seq2seq.data.tokenizer': tok})
    return tok


def load_checkpoint(path):
    import ast
    _install_seq2seq_shim()
    ck = torch.load(path, map_location='cpu', weights_only=False)
    cfg = ast.literal_eval(ck['config'].model_config)
    tok = ck['tokenizer']
    vocab = [tok.idx2tok[i] for i in range(tok.vocab_size)]
    model = GNMT(tok.vocab_size, cfg['hidden_size'], cfg['num_layers'], cfg['share_embedding'])
    sd = ck['state_dict']
    if any('module.' in k for k in sd):
        sd = {k.replace('module.', ''): v for k, v in sd.items()}
    model.load_state_dict(sd, strict=True)
    model.eval()
    model.vocab = vocab
    model.config = cfg
    return model


# ----------------------------------------------------------------------------------------------- search

def greedy_search(model, context, lengths, max_len):
    n = context.shape[0]
    translation = torch.zeros(n, max_len, dtype=torch.int64)
    translation[:, 0] = BOS
    length = torch.ones(n, dtype=torch.int64)
    active = torch.arange(n)
    words = torch.full((n, 1), BOS, dtype=torch.int64)
    state = None
    counter = 0
    for step in range(1, max_len):
        if len(active) == 0:
            break
        counter += 1
        ids, _, _, state = model.generate(words, context, lengths, state, 1)
        words = ids.view(-1)
        translation[active, step] = words
        length[active] += 1
        term = words == EOS
        if term.any():
            keep = (~term).nonzero().view(-1)
            active = active[keep]
            words = words[keep]
            context = context.index_select(0, keep)
            lengths = lengths.index_select(0, keep)
            state = state.index_select(1, keep)
        words = words.view(-1, 1)
    return translation, length, counter


def beam_search(model, context, lengths, k, max_len, alpha=0.6, const=5.0, beta=0.1):
    n, t, h = context.shape
    slots = n * k
    translation = torch.zeros(slots, max_len, dtype=torch.int64)
    translation[:, 0] = BOS
    length = torch.ones(slots, dtype=torch.int64)
    scores = torch.zeros(slots, dtype=torch.float32)
    active = torch.arange(slots)
    base = torch.arange(slots)
    offsets = torch.arange(0, slots, k)
    eos_fill = torch.tensor([0.0] + (k - 1) * [float('-inf')])
    words = torch.full((slots, 1), BOS, dtype=torch.int64)
    context = context.unsqueeze(1).expand(-1, k, -1, -1).contiguous().view(slots, t, h)
    lengths = lengths.unsqueeze(1).expand(-1, k).contiguous().view(slots)
    cov = torch.zeros(slots, t)
    state = None
    counter = 0
    for step in range(1, max_len):
        if len(active) == 0:
            break
        counter += 1
        eos = (words == EOS).view(-1, k)
        terminating, _ = eos.min(dim=1)
        length[active[~eos.view(-1)]] += 1
        ids, logprobs, p, state = model.generate(words, context, lengths, state, k)
        p = p.float().squeeze(1).masked_fill(eos.view(-1).unsqueeze(1), 0)
        cov[active] += p  # QUIRK (spec §4.2.8): cov stays with the slot, never reordered
        ids = ids.view(-1, k, k).masked_fill(eos.unsqueeze(2), EOS)
        logprobs = logprobs.float().view(-1, k, k)
        if eos.any():
            logprobs[eos] = eos_fill
        cand = scores[active].view(-1, k).unsqueeze(2) + logprobs
        if step == 1:
            cand[:, 1:, :] = float('-inf')
        cand = cand.view(-1, k * k)
        best, index = cand.topk(k, dim=1)
        src = torch.div(index, k, rounding_mode='floor')
        scores[active] = best.view(-1)
        words = torch.gather(ids.view(-1, k * k), 1, index).view(-1, 1)
        src = (src + offsets[:src.shape[0]].unsqueeze(1)).view(-1)
        translation[active, :] = translation[active[src], :]
        translation[active, step] = words.view(-1)
        length[active] = length[active[src]]
        state = state.index_select(1, src)
        if terminating.any():
            g = active.view(-1, k)[terminating]
            norm = ((const + length[g].float()) / (const + 1.0)) ** alpha
            scores[g] /= norm
            pen = cov[g].clamp(0, 1).log()
            pen[pen == float('-inf')] = 0
            scores[g] += beta * pen.sum(dim=-1)
            keep = base[:len(active)].masked_select((~terminating).unsqueeze(1).expand(-1, k).reshape(-1))
            words = words.index_select(0, keep)
            context = context.index_select(0, keep)
            lengths = lengths.index_select(0, keep)
            state = state.index_select(1, keep)
            active = active[keep]
    best = scores.view(n, k).max(dim=1)[1]
    return translation[best + offsets], length[best + offsets], counter


# ----------------------------------------------------------------------------------------------- pipeline

def segment(model, line):
    tok2idx = getattr(model, '_tok2idx', None)
    if tok2idx is None:
        tok2idx = model._tok2idx = {t: i for i, t in enumerate(model.vocab)}
    return [BOS] + [tok2idx.get(t, UNK) for t in line.strip().split()] + [EOS]


def make_batch(model, lines):
    """ids per line, stable sort by decreasing length, pad with 0 (spec inference §3)."""
    seqs = [segment(model, l) for l in lines]
    order = sorted(range(len(seqs)), key=lambda i: len(seqs[i]), reverse=True)
    t = len(seqs[order[0]])
    src = torch.zeros(len(seqs), t, dtype=torch.int64)
    for r, i in enumerate(order):
        src[r, :len(seqs[i])] = torch.tensor(seqs[i])
    lengths = torch.tensor([len(seqs[i]) for i in order], dtype=torch.int64)
    return src, lengths, order


@torch.no_grad()
def translate_ids(model, lines, beam=5, batch=128, max_len=80, counters=None):
    out = [None] * len(lines)
    for b0 in range(0, len(lines), batch):
        chunk = lines[b0:b0 + batch]
        src, lengths, order = make_batch(model, chunk)
        context = model.encode(src, lengths)
        if beam == 1:
            pred, length, counter = greedy_search(model, context, lengths, max_len)
        else:
            pred, length, counter = beam_search(model, context, lengths, beam, max_len)
        if counters is not None:
            counters.append(counter)
        for r, i in enumerate(order):
            out[b0 + i] = pred[r, 1:int(length[r]) - 1].tolist()
    return out


def translate(model, lines, beam=5, batch=128, max_len=80, counters=None):
    """BPE-level output lines (tokens joined by single spaces, BOS/EOS stripped), in input order."""
    return [' '.join(model.vocab[i] for i in ids) for ids in translate_ids(model, lines, beam, batch, max_len, counters)]


def detokenize(bpe_line, separator='@@'):
    return bpe_line.replace(separator + ' ', '').replace(separator, '')


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('-m', '--model', required=True)
    ap.add_argument('-i', '--input', required=True, help='BPE-segmented source, one sentence per line')
    ap.add_argument('-o', '--output', default='-', help='BPE-level output (default stdout)')
    ap.add_argument('--beam', type=int, default=5)
    ap.add_argument('--batch', type=int, default=128)
    ap.add_argument('--max-len', type=int, default=80)
    ap.add_argument('--start', type=int, default=0, help='skip the first N lines (a multiple of --batch keeps the batches)')
    ap.add_argument('--limit', type=int, default=0, help='only the first N lines (after --start)')
    ap.add_argument('--joined', action='store_true', help='write BPE-joined text instead of BPE tokens')
    ap.add_argument('--threads', type=int, default=2)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    model = load_checkpoint(args.model)
    with open(args.input, encoding='utf-8') as f:
        lines = f.read().split('\n')
    if lines and lines[-1] == '':
        lines.pop()
    lines = lines[args.start:]
    if args.limit:
        lines = lines[:args.limit]
    counters = []
    out = translate(model, lines, args.beam, args.batch, args.max_len, counters)
    if args.joined:
        out = [detokenize(o) for o in out]
    text = ''.join(o + '\n' for o in out)
    if args.output == '-':
        sys.stdout.write(text)
    else:
        with open(args.output, 'w', encoding='utf-8') as f:
            f.write(text)
    print(f'iterations per batch: {" ".join(map(str, counters))}', file=sys.stderr)


if __name__ == '__main__':
    main()
