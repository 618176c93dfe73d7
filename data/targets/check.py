#!/usr/bin/env python3
"""Consistency check for the target-extraction evaluation set (data/targets).

Run:  python3 data/targets/check.py
It checks that every label's sentence occurs verbatim in its document and is a
whole sentence under the README definition, that values are plain decimals,
that directions are valid, that dev and heldout share no document and that every
document belongs to exactly one split; it prints row and document counts.
It does not extract anything and knows nothing about what a target is.
"""
import os, re, sys, csv

HERE = os.path.dirname(os.path.abspath(__file__))
ENDERS = '。！？'
HEADER = ['doc', 'value', 'unit', 'what', 'direction', 'sentence']
DIRECTIONS = {'at_least', 'at_most', 'about', 'exact'}


def sentences(text):
    """Split as the README defines: a sentence runs from just after the previous
    。！？ or line break up to and including the next 。！？ (or the line's end);
    leading/trailing whitespace is trimmed, empty pieces dropped."""
    out, buf = [], ''
    for ch in text:
        if ch == '\n':
            if buf.strip():
                out.append(buf.strip())
            buf = ''
            continue
        buf += ch
        if ch in ENDERS:
            if buf.strip():
                out.append(buf.strip())
            buf = ''
    if buf.strip():
        out.append(buf.strip())
    return out


def read_tsv(path):
    with open(path, encoding='utf-8', newline='') as f:
        lines = f.read().split('\n')
    if lines and lines[-1] == '':
        lines = lines[:-1]
    head = lines[0].split('\t')
    rows = [l.split('\t') for l in lines[1:]]
    return head, rows


def main():
    errors = 0
    docs_dir = os.path.join(HERE, 'docs')
    doc_ids = sorted(f[:-4] for f in os.listdir(docs_dir) if f.endswith('.txt'))
    doc_sents = {d: sentences(open(os.path.join(docs_dir, d + '.txt'), encoding='utf-8').read())
                 for d in doc_ids}
    split_docs = {}
    for split in ('dev', 'heldout'):
        head, rows = read_tsv(os.path.join(HERE, split + '.tsv'))
        if head != HEADER:
            print('%s: bad header %r' % (split, head)); errors += 1
        docs = set()
        for n, r in enumerate(rows, 2):
            if len(r) != 6:
                print('%s:%d: %d fields' % (split, n, len(r))); errors += 1; continue
            doc, value, unit, what, direction, sent = r
            docs.add(doc)
            if doc not in doc_sents:
                print('%s:%d: unknown doc %s' % (split, n, doc)); errors += 1; continue
            if not re.fullmatch(r'\d+(\.\d+)?', value):
                print('%s:%d: value not a plain decimal: %r' % (split, n, value)); errors += 1
            if direction not in DIRECTIONS:
                print('%s:%d: bad direction %r' % (split, n, direction)); errors += 1
            if not what.strip():
                print('%s:%d: empty what' % (split, n)); errors += 1
            if sent not in doc_sents[doc]:
                print('%s:%d: sentence is not a whole sentence of %s: %r' % (split, n, doc, sent[:60])); errors += 1
            if unit and unit not in sent:
                print('%s:%d: unit %r not in sentence' % (split, n, unit)); errors += 1
        split_docs[split] = (docs, len(rows))
    dev, held = split_docs['dev'][0], split_docs['heldout'][0]
    if dev & held:
        print('documents in both splits: %s' % sorted(dev & held)); errors += 1
    missing = set(doc_ids) - dev - held
    if missing:
        print('documents with no labels / no split: %s' % sorted(missing)); errors += 1
    for split in ('dev', 'heldout'):
        docs, n = split_docs[split]
        print('%-8s %3d documents %5d rows' % (split, len(docs), n))
    print('total    %3d documents %5d rows' % (len(doc_ids), split_docs['dev'][1] + split_docs['heldout'][1]))
    print('errors: %d' % errors)
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
