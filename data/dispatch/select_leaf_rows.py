#!/usr/bin/env python3
"""Select the 300 rows of the hand-labelled leaf evaluation set.

Rule: rows of messages_labeled_partial.csv with 划分 == "eval"; key = sha1 hex of
the UTF-8 文本; sort ascending by that key; take the first 300. `row` is the
1-based data row number in the source file (header excluded).

Prints one TSV line per selected row: row, sha1, 一级标签, 文本.
The leaf labels themselves are a human-style judgement and are NOT computed here.
"""
import csv
import hashlib
import sys
from pathlib import Path

# ../shared beside the repository, as CI has it.
SRC = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "appeals" / "messages_labeled_partial.csv"
N = 300


def select(src=SRC, n=N):
    rows = []
    with open(src, encoding="utf-8", newline="") as f:
        for i, r in enumerate(csv.DictReader(f), start=1):
            if r["划分"] != "eval":
                continue
            h = hashlib.sha1(r["文本"].encode("utf-8")).hexdigest()
            rows.append((h, i, r["一级标签"], r["文本"]))
    rows.sort()
    return [(i, h, lab, text) for h, i, lab, text in rows[:n]]


if __name__ == "__main__":
    src = Path(sys.argv[1]) if len(sys.argv) > 1 else SRC
    w = csv.writer(sys.stdout, delimiter="\t", lineterminator="\n")
    for row in select(src):
        w.writerow(row)
