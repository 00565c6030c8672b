"""A large synthetic English-like corpus, reproducible from (words, vocab, seed), for training benchmarks.

The text is made of pseudo-words built from syllables (letters only, so the tokenizer keeps
each one whole), with structure a language model can learn:

* every word belongs to one of ``CLASSES`` classes (like parts of speech); the class of the
  next word follows a sparse Markov chain, with sentence ends and commas among its states;
* inside a class, words are Zipf-distributed, and words are dealt to classes so that the
  whole text's rank-frequency curve stays close to Zipf's law (exponent about 1); with the
  defaults, nearly all 33,000 words occur in 2,000,000;
* each paragraph has a topic: of its open-class words outside the ``GENERAL_WORDS`` most
  frequent, a share ``TOPIC_SHARE`` comes from that topic's own slice of the class, which
  is context a bigram model cannot see.

Sentences end with "." and start with a capital; paragraphs (a blank line apart) end at
the first sentence end after a length drawn between 50 and 150 words.

    python bench/zipf_corpus.py OUT.txt [--words 2000000] [--vocab 33000] [--seed 0]

Text is written in blocks, so memory stays small whatever the length.
"""

from __future__ import annotations

import argparse
import bisect
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

CLASSES = 50
"""Word classes (the Markov chain's word states)."""

CLOSED_CLASSES = 12
"""Classes that take no part in topics, like determiners or prepositions."""

TOPICS = 100
"""Paragraph topics; each open-class word belongs to exactly one."""

TOPIC_SHARE = 0.5
"""Share of a paragraph's topic words (open-class words past the general ones) drawn from its topic."""

GENERAL_WORDS = 300
"""The most frequent words belong to no topic."""

PARAGRAPH_WORDS = (50, 150)
"""A paragraph ends at the first sentence end once it has a length drawn from this range."""

BLOCK = 1 << 20
"""Chain steps generated and written at a time."""

# Letters listed twice make those spellings more likely, as in English.
_ONSETS = [
    *"bcdfghjklmnprstvwz",
    *"bcdlmnprst",
    "br",
    "ch",
    "cr",
    "dr",
    "fl",
    "gr",
    "pl",
    "sh",
    "st",
    "th",
    "tr",
]
_VOWELS = [*"aeiou", *"aeiou", "ai", "ea", "ee", "oo", "ou"]
_CODAS = [*[""] * 6, *"nrslmt", "nd", "st", "ng"]


@dataclass
class Language:
    """The lexicon and the rules the text is drawn from; depends on (vocab, seed) only."""

    words: list[str]
    """Word spellings, most frequent (by design) first."""
    states: list[list[int]]
    """For each chain state (classes, then comma, then sentence end), its possible successors."""
    cumulative: list[list[float]]
    """For each chain state, the cumulative probabilities of ``states``; the last is exactly 1."""
    general_share: np.ndarray
    """For each class, the share of its text taken by general words (those in no topic)."""
    general_group: np.ndarray
    """For each class, the sampling group of its general words."""
    topical_group: np.ndarray
    """For each class, the sampling group of all its topic words."""
    topic_group: np.ndarray
    """[topic, class] → the sampling group of the topic's words in that class."""
    group_cumulative: np.ndarray
    """Per sampling group g, the cumulative within-group word probabilities shifted by g."""
    group_words: np.ndarray
    """Word ids, group after group, aligned with ``group_cumulative``."""
    group_end: np.ndarray
    """One past each group's last entry in ``group_words``."""


def _lexicon(vocab: int, rng: np.random.Generator) -> list[str]:
    """``vocab`` distinct pseudo-words; frequent ranks get short words, rare ones longer."""
    syllables = [o + v + c for o in ["", *_ONSETS] for v in _VOWELS for c in _CODAS]
    words: list[str] = []
    seen: set[str] = set()
    while len(words) < vocab:
        rank = len(words)
        if rank < 150:
            length = 1
        elif rank < 3000:
            length = 2
        else:
            length = 2 + int(rng.random() < 0.5 + 0.4 * min(1.0, rank / 50_000))
        word = "".join(syllables[i] for i in rng.integers(0, len(syllables), length))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


def _chain(rng: np.random.Generator) -> tuple[list[list[int]], list[list[float]]]:
    """A sparse chain over the classes, a comma state and a sentence-end state."""
    comma, end = CLASSES, CLASSES + 1
    popularity = rng.lognormal(0.0, 1.0, CLASSES)
    popularity /= popularity.sum()
    ending = rng.random(CLASSES) < 0.4
    rows: list[dict[int, float]] = []
    for c in range(CLASSES):
        k = int(rng.integers(2, 7))
        successors = rng.choice(CLASSES, size=k, replace=False, p=popularity)
        weights = rng.dirichlet(np.full(k, 0.7))
        row = {int(s): float(w) for s, w in zip(successors, weights, strict=True)}
        if ending[c]:
            row[end] = float(rng.uniform(0.15, 0.45))
        if rng.random() < 0.3:
            row[comma] = float(rng.uniform(0.03, 0.12))
        rows.append(row)
    for _ in ("after a comma", "at a sentence start"):
        successors = rng.choice(CLASSES, size=6, replace=False, p=popularity)
        rows.append({int(s): float(w) for s, w in zip(successors, rng.dirichlet(np.ones(6)), strict=True)})

    # Every class must be reachable from a sentence start, and every class must reach an end.
    while True:
        reached, frontier = {end}, [end]
        while frontier:
            for s in rows[frontier.pop()]:
                if s not in reached:
                    reached.add(s)
                    frontier.append(s)
        missing = [c for c in range(CLASSES) if c not in reached]
        if not missing:
            break
        source = int(rng.choice(sorted(c for c in reached if c < CLASSES)))
        rows[source][missing[0]] = float(rng.uniform(0.05, 0.3))
    while True:
        ends = {end}
        changed = True
        while changed:
            changed = False
            for c, row in enumerate(rows):
                if c not in ends and any(s in ends for s in row):
                    ends.add(c)
                    changed = True
        stuck = [c for c in range(CLASSES) if c not in ends]
        if not stuck:
            break
        rows[stuck[0]][end] = float(rng.uniform(0.15, 0.45))

    states, cumulative = [], []
    for row in rows:
        order = sorted(row)
        weights = np.array([row[s] for s in order])
        cum = (np.cumsum(weights) / weights.sum()).tolist()
        cum[-1] = 1.0
        states.append(order)
        cumulative.append(cum)
    return states, cumulative


def _stationary(states: list[list[int]], cumulative: list[list[float]]) -> np.ndarray:
    """Long-run share of each chain state."""
    n = len(states)
    matrix = np.zeros((n, n))
    for s, (row, cum) in enumerate(zip(states, cumulative, strict=True)):
        matrix[s, row] = np.diff([0.0, *cum])
    share = np.full(n, 1.0 / n)
    for _ in range(2000):
        share = 0.5 * share + 0.5 * share @ matrix  # lazy steps: no trouble with periodic chains
    return share / share.sum()


def build_language(vocab: int, seed: int) -> Language:
    """The lexicon, the class chain and the sampling tables for ``vocab`` words."""
    words = _lexicon(vocab, np.random.default_rng([seed, 0]))
    rng = np.random.default_rng([seed, 1])
    states, cumulative = _chain(rng)
    share = _stationary(states, cumulative)[:CLASSES]
    target = share / share.sum()

    # Deal words, most frequent first, to the class furthest below its share of the text: each
    # class then holds about its share, and the whole text keeps the Zipf weights.
    weight = 1.0 / np.arange(1, vocab + 1)
    weight /= weight.sum()
    mass = np.zeros(CLASSES)
    word_class = np.empty(vocab, dtype=np.int64)
    for w in range(vocab):
        c = int(np.argmax(target - mass))
        word_class[w] = c
        mass[c] += weight[w]
    for c in range(CLASSES):  # a class the chain barely visits still needs a word
        if not (word_class == c).any():
            word_class[np.flatnonzero(word_class == np.argmax(np.bincount(word_class)))[-1]] = c
    open_class = np.ones(CLASSES, dtype=bool)
    open_class[rng.choice(CLASSES, size=CLOSED_CLASSES, replace=False)] = False

    # Open-class words past the most frequent ones are dealt to topics round-robin (in a fresh
    # order each round), so each topic's slice of a class holds about the same mass.
    topic = np.full(vocab, -1, dtype=np.int64)
    for c in np.flatnonzero(open_class).tolist():
        members = np.flatnonzero(word_class == c)
        members = members[members >= GENERAL_WORDS]
        for start in range(0, len(members), TOPICS):
            part = members[start : start + TOPICS]
            topic[part] = rng.permutation(TOPICS)[: len(part)]

    # A group is a set of words drawn from with probabilities in proportion to their weights.
    groups: list[np.ndarray] = []

    def group(members: np.ndarray) -> int:
        groups.append(members)
        return len(groups) - 1

    general_group = np.zeros(CLASSES, dtype=np.int64)
    topical_group = np.zeros(CLASSES, dtype=np.int64)
    general_share = np.zeros(CLASSES)
    for c in range(CLASSES):
        members = np.flatnonzero(word_class == c)
        general = members[topic[members] < 0]
        topical = members[topic[members] >= 0]
        general_group[c] = group(general) if len(general) else group(members)
        topical_group[c] = group(topical) if len(topical) else general_group[c]
        general_share[c] = weight[general].sum() / weight[members].sum()
    topic_group = np.tile(topical_group, (TOPICS, 1))
    for t in range(TOPICS):
        for c in np.flatnonzero(open_class).tolist():
            members = np.flatnonzero((word_class == c) & (topic == t))
            if len(members):
                topic_group[t, c] = group(members)
    cumulative_parts, ends = [], []
    for g, members in enumerate(groups):
        cum = np.cumsum(weight[members])
        cum /= cum[-1]
        cumulative_parts.append(g + cum)
        ends.append(len(members))
    return Language(
        words=words,
        states=states,
        cumulative=cumulative,
        general_share=general_share,
        general_group=general_group,
        topical_group=topical_group,
        topic_group=topic_group,
        group_cumulative=np.concatenate(cumulative_parts),
        group_words=np.concatenate(groups),
        group_end=np.cumsum(ends),
    )


@dataclass
class _Walk:
    """Where the text generation is, carried from block to block."""

    state: int
    paragraph_words: int = 0
    paragraph_target: int = 0
    topic: int = 0
    words: int = 0


def _walk(
    language: Language, walk: _Walk, words: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """One block of chain states (a paragraph break is ``CLASSES + 2``) and the topic of each."""
    comma, end, paragraph = CLASSES, CLASSES + 1, CLASSES + 2
    states, cumulative = language.states, language.cumulative
    out: list[int] = []
    topics: list[int] = []
    topic_starts: list[int] = [0]
    state, done, in_paragraph = walk.state, walk.words, walk.paragraph_words
    topics.append(walk.topic)
    low, high = PARAGRAPH_WORDS
    for u in rng.random(BLOCK).tolist():
        if done >= words:
            break
        row = cumulative[state]
        state = states[state][bisect.bisect_right(row, u)]
        out.append(state)
        if state < comma:
            done += 1
            in_paragraph += 1
        elif state == end and in_paragraph >= walk.paragraph_target:
            out.append(paragraph)
            in_paragraph = 0
            walk.paragraph_target = int(rng.integers(low, high + 1))
            topics.append(int(rng.integers(TOPICS)))
            topic_starts.append(len(out))
    walk.state, walk.words, walk.paragraph_words, walk.topic = state, done, in_paragraph, topics[-1]
    codes = np.array(out, dtype=np.int64)
    lengths = np.diff([*topic_starts, len(out)])
    return codes, np.repeat(np.array(topics, dtype=np.int64), lengths)


def _choose_words(
    language: Language, classes: np.ndarray, topics: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """A word for each class position.

    A general word as often as the class's general words take of its text; else a topic word,
    ``TOPIC_SHARE`` of the time from the paragraph's topic, else from any topic. A topic's slice
    holds about its share of the class's topic words, so each word keeps its Zipf weight overall.
    """
    general = rng.random(len(classes)) < language.general_share[classes]
    from_topic = rng.random(len(classes)) < TOPIC_SHARE
    group = np.where(
        general,
        language.general_group[classes],
        np.where(from_topic, language.topic_group[topics, classes], language.topical_group[classes]),
    )
    index = np.searchsorted(language.group_cumulative, group + rng.random(len(classes)), side="right")
    index = np.minimum(index, language.group_end[group] - 1)
    return language.group_words[index]


def generate(
    path: str | Path, words: int = 2_000_000, vocab: int = 33_000, seed: int = 0
) -> dict[str, float]:
    """Write a ``words``-word text to ``path``; returns its words, distinct words and Zipf exponent."""
    language = build_language(vocab, seed)
    rng = np.random.default_rng([seed, 2])
    comma, end, paragraph = CLASSES, CLASSES + 1, CLASSES + 2
    table = np.array(
        [
            *(" " + w for w in language.words),
            *(" " + w.capitalize() for w in language.words),
            *(w.capitalize() for w in language.words),
            ",",
            ".",
            "\n\n",
        ],
        dtype=object,
    )
    low, high = PARAGRAPH_WORDS
    walk = _Walk(
        state=end, paragraph_target=int(rng.integers(low, high + 1)), topic=int(rng.integers(TOPICS))
    )
    counts = np.zeros(vocab, dtype=np.int64)
    previous = paragraph  # the text starts as a paragraph does
    with open(path, "w", encoding="utf-8") as out:
        while walk.words < words:
            codes, topics = _walk(language, walk, words, rng)
            is_word = codes < comma
            chosen = _choose_words(language, codes[is_word], topics[is_word], rng)
            counts += np.bincount(chosen, minlength=vocab)
            before = np.concatenate([[previous], codes[:-1]])
            kind = np.where(before == end, 1, np.where(before == paragraph, 2, 0))
            index = codes - comma + 3 * vocab  # the marks' entries follow the three word forms
            index[is_word] = chosen + vocab * kind[is_word]
            out.write("".join(table[index].tolist()))
            previous = int(codes[-1])
        if previous != end:
            out.write(".")
        out.write("\n")
    return {"words": int(counts.sum()), "distinct": int((counts > 0).sum()), "zipf": zipf_exponent(counts)}


def zipf_exponent(counts: np.ndarray, ranks: tuple[int, int] = (10, 10_000)) -> float:
    """The slope (negated) of log frequency against log rank over ``ranks``."""
    ordered = np.sort(counts[counts > 0])[::-1]
    low, high = ranks[0], min(ranks[1], len(ordered))
    if high - low < 2:
        return float("nan")
    rank = np.arange(low, high) + 1
    slope = np.polyfit(np.log(rank), np.log(ordered[low:high]), 1)[0]
    return float(-slope)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--words", type=int, default=2_000_000)
    parser.add_argument("--vocab", type=int, default=33_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    started = time.perf_counter()
    summary = generate(args.out, args.words, args.vocab, args.seed)
    print(
        f"{args.out}: {summary['words']:,} words, {summary['distinct']:,} distinct "
        f"(of {args.vocab:,}), Zipf exponent {summary['zipf']:.2f}, {time.perf_counter() - started:.1f} s"
    )


if __name__ == "__main__":
    main()
