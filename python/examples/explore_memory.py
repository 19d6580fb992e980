"""A notebook-style tour of the shipped example memory: load it, ask recall questions, read
what the rules derived and the proof of one inferred relation.

    python python/examples/explore_memory.py [examples/memories.jsonl]
"""

import pathlib
import sys

import engram

here = pathlib.Path(__file__).resolve().parent
path = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else here.parents[1] / "examples" / "memories.jsonl"

# %% Load the memory into a store in memory, with the standard rules.
store = engram.Store.in_memory(default_rules=True)
loaded = store.load(path)
stats = store.stats()
print(f"loaded {loaded['facts']} facts ({loaded['format']}): "
      f"{stats['asserted']} asserted, {stats['derived']} derived")

# %% Ask recall questions; each hit says why it was recalled.
for question in ["webhook retries", "why did payments fail?", "what did we decide about caching?"]:
    print(f"\n? {question}")
    for hit in store.recall(question, limit=3):
        print(f"  {hit.id:6} {hit.score:.3f}  {hit.title[:60]:60}  ({hit.why})")

# %% A relation nobody stated, and its proof.
inferred = [r for r in store.query('?- edge(a, "SOLVED_BY", b).') if r.rule != "asserted"]
best = max(inferred, key=lambda r: r.confidence)
print(f"\ninferred: edge{best.values[:1] + ('SOLVED_BY',) + best.values[1:]} "
      f"@ {best.confidence:.2f} by {best.rule}")
a, b = best.values
proof = store.explain("edge", (a, "SOLVED_BY", b))
print(proof)

# %% Contradictions the constraints found.
violations = store.violations()
print(f"\n{len(violations)} violations; the first: {violations[0].title if violations else '-'}")

# %% As a DataFrame, when pandas is installed.
try:
    import pandas  # noqa: F401
except ImportError:
    print("\n(pandas is not installed: skipping the DataFrame)")
else:
    program = engram.Program(".decl tag(m: symbol, t: symbol)\n.decl count(t: symbol, n: number)\n"
                             "count(t, n) :- tag(_, t), n = count : { tag(_, t) }.\n")
    tags = [r.values for r in store.facts("tag")]
    frame = program.evaluate({"tag": tags})["count"].to_pandas()
    print("\nmost used tags:\n", frame.sort_values("n", ascending=False).head(5).to_string(index=False))
