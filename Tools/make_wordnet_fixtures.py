#!/usr/bin/env python3
"""Golden WordNet distances between ImageNet classes, for Tests/BiasProbeTests/WordNetTests.swift.

Reads WordNet 3.0's noun data file (Debian `wordnet-base`, `data.noun`) and the ImageNet WordNet
ids (one per class index) with a parser written here from the WordNet file-format description
(wndb(5)); no nltk. For each pair of classes it records:

- `distance`: the length of the shortest path between the two synsets that climbs hypernym edges
  (`@` hypernym and `@i` instance hypernym) from both sides to a common ancestor:
  `min over common ancestors a of (up(x, a) + up(y, a))`, `up` being the fewest upward edges;
- `lca`: the common ancestor reaching that minimum; ties go to the ancestor farthest from the
  root (its `depth` = fewest upward edges to a synset without hypernyms), then to the smallest
  offset.

Pairs: a hand-picked list (dog breeds, cats, espresso ...) and 300 pairs drawn with
`random.Random(20181105)` over the 1000 classes.

Usage: python3 Tools/make_wordnet_fixtures.py Assets/wordnet/data.noun \
         Assets/labels/imagenet_wnids.txt Tests/Fixtures/Mistakes/wordnet_golden.json
"""
import json
import random
import sys
from collections import deque


def parse_data_noun(path):
    """offset (int) -> (words, hypernym offsets)."""
    synsets = {}
    with open(path, "rb") as handle:
        for raw in handle:
            if raw.startswith(b"  "):
                continue  # licence header
            line = raw.decode("utf-8").split(" | ")[0]
            fields = line.split()
            offset = int(fields[0])
            word_count = int(fields[3], 16)
            words = [fields[4 + 2 * i] for i in range(word_count)]
            position = 4 + 2 * word_count
            pointer_count = int(fields[position])
            position += 1
            hypernyms = []
            for _ in range(pointer_count):
                symbol, target, pos, _ = fields[position:position + 4]
                position += 4
                if symbol in ("@", "@i") and pos == "n":
                    hypernyms.append(int(target))
            synsets[offset] = (words, hypernyms)
    return synsets


def up_distances(synsets, start):
    """Fewest upward edges from `start` to each ancestor (itself at 0), breadth first."""
    distances = {start: 0}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for parent in synsets[node][1]:
            if parent not in distances:
                distances[parent] = distances[node] + 1
                queue.append(parent)
    return distances


def depth(synsets, node, cache):
    if node not in cache:
        parents = synsets[node][1]
        cache[node] = 0 if not parents else 1 + min(depth(synsets, p, cache) for p in parents)
    return cache[node]


def main():
    data_noun, wnids_path, output = sys.argv[1:4]
    synsets = parse_data_noun(data_noun)
    wnids = [line.strip() for line in open(wnids_path) if line.strip()]
    assert len(wnids) == 1000
    depth_cache = {}

    def relation(a, b):
        x, y = int(wnids[a][1:]), int(wnids[b][1:])
        ux, uy = up_distances(synsets, x), up_distances(synsets, y)
        best = None
        for ancestor in set(ux) & set(uy):
            key = (ux[ancestor] + uy[ancestor], -depth(synsets, ancestor, depth_cache), ancestor)
            if best is None or key < best:
                best = key
        distance, minus_depth, lca = best
        return {
            "a": a, "b": b, "distance": distance, "lca": "n%08d" % lca,
            "lcaDepth": -minus_depth, "lcaWord": synsets[lca][0][0],
        }

    hand_picked = [
        (250, 249),  # Siberian husky, malamute
        (250, 248),  # Siberian husky, Eskimo dog
        (248, 249),  # Eskimo dog, malamute
        (281, 282),  # tabby, tiger cat
        (282, 285),  # tiger cat, Egyptian cat
        (967, 282),  # espresso, tiger cat
        (282, 967),  # the same pair reversed
        (967, 967),  # espresso with itself
        (250, 162),  # Siberian husky, beagle
        (250, 281),  # Siberian husky, tabby
        (967, 968),  # espresso, cup
        (817, 511),  # sports car, convertible
        (0, 999),    # tench, toilet tissue
    ]
    generator = random.Random(20181105)
    drawn = [(generator.randrange(1000), generator.randrange(1000)) for _ in range(300)]
    pairs = [relation(a, b) for a, b in hand_picked + drawn]

    # Distances among the 118 dog classes (151...268) and between all classes: for the docs.
    dogs = range(151, 269)
    dog_distances = sorted(relation(a, b)["distance"] for a in dogs for b in dogs if a < b)
    summary = {
        "dogPairs": len(dog_distances),
        "dogDistanceHistogram": {str(d): dog_distances.count(d) for d in sorted(set(dog_distances))},
    }
    drawn_distances = [p["distance"] for p in pairs[len(hand_picked):]]
    summary["drawnDistanceHistogram"] = {
        str(d): drawn_distances.count(d) for d in sorted(set(drawn_distances))}
    with open(output, "w") as handle:
        json.dump({"source": "WordNet 3.0 data.noun (Debian wordnet-base)",
                   "pairs": pairs, "summary": summary}, handle, indent=1, sort_keys=True)
        handle.write("\n")


if __name__ == "__main__":
    main()
