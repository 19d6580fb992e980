"""An agent loop's memory tool written against engram, with a scripted agent (no network, no
model): each turn the "agent" calls one tool with JSON arguments, as a model calling tools
would, and reads back what the memory says.

    python python/examples/agent_memory.py [STORE_DIR]

Without STORE_DIR the memory lives in a temporary directory.
"""

import json
import sys
import tempfile

import engram


class MemoryTool:
    """The tools an agent gets: remember, relate, recall, explain. Every argument comes from
    the agent and is data: it is passed to engram as values, never written into rule text."""

    def __init__(self, store: engram.Store):
        self.store = store

    def remember(self, title, content=None, type=None, tags=None, id=None):
        done = self.store.remember(title, content, type=type, tags=tags, id=id)
        return {"id": done["id"], "inferred": done["inferred"][:5]}

    def relate(self, source, type, target, confidence=None):
        return self.store.relate(source, type, target, confidence)["relation"]

    def recall(self, question, limit=5):
        hits = self.store.recall(question, limit=limit)
        return [{"id": h.id, "title": h.title, "why": h.why, "score": round(h.score, 3)} for h in hits]

    def explain(self, source, type, target):
        # The fact is given as values: engram writes it, so nothing the agent sends is read
        # as Datalog.
        proof = self.store.explain("edge", (source, type, target))
        if proof is None:
            why = self.store.why_not("edge", (source, type, target))
            return {"holds": False, "why_not": why.text}
        return {"holds": True, "rule": proof.rule, "proof": proof.text}

    def call(self, name, arguments):
        try:
            return {"ok": getattr(self, name)(**arguments)}
        except engram.Error as e:
            return {"error": type(e).__name__, "message": str(e)}


# What a scripted agent does over one session: it records what it learns, links it, and later
# asks its memory before acting.
SCRIPT = [
    ("remember", {"title": "Checkout times out at peak", "content": "p99 over 30 s on Fridays",
                  "type": "problem", "tags": ["checkout", "latency"], "id": "p-timeout"}),
    ("remember", {"title": "Cache the tax lookup", "content": "tax service is slow; cache 5 min",
                  "type": "solution", "tags": ["checkout", "cache"], "id": "s-cache"}),
    ("relate", {"source": "s-cache", "type": "solves", "target": "p-timeout", "confidence": 0.8}),
    ("remember", {"title": "Tax service rate-limits bursts", "type": "learning",
                  "tags": ["tax", "latency"], "id": "l-rate"}),
    ("relate", {"source": "l-rate", "type": "CAUSES", "target": "p-timeout", "confidence": 0.7}),
    ("recall", {"question": "why is checkout slow?"}),
    ("explain", {"source": "p-timeout", "type": "SOLVED_BY", "target": "s-cache"}),
    ("relate", {"source": "s-cache", "type": "", "target": "p-timeout"}),
]


def main():
    directory = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp()
    store = engram.Store(f"{directory}/agent.db")
    tool = MemoryTool(store)
    results = []
    for name, arguments in SCRIPT:
        result = tool.call(name, arguments)
        results.append(result)
        print(f"agent -> {name}({json.dumps(arguments)})")
        print(f"memory -> {json.dumps(result, indent=2)}\n")
    recalled = results[5]["ok"]
    assert recalled and recalled[0]["id"] in {"p-timeout", "s-cache", "l-rate"}, recalled
    assert results[6]["ok"]["holds"] and results[6]["ok"]["rule"] == "reverse_solves"
    assert results[7]["error"] == "RefusedError"
    print("the agent's memory answered every call")


if __name__ == "__main__":
    main()
