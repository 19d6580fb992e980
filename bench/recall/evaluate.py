"""Recall evaluation on engram's own conversations (bench/recall/*.txt; not a public
benchmark): each turn is loaded as one memory (its text as the title, the speaker as a tag, the
conversation as the project, the session's date as its time), each question of questions.txt
is asked with `engram recall --format json --limit 10` as a whole process, and the evidence
turns found in the top 5 and top 10 are counted (turn level), as are the sessions holding
evidence (session level).

    python3 bench/recall/evaluate.py [ENGRAM_BIN] [--show]

--show prints each question with its evidence turns and the hits, for checking the set.
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def conversations():
    """Every turn: (id, speaker, text, session date, conversation)."""
    turns = []
    for name in sorted(os.listdir(HERE)):
        if not name.endswith(".txt") or name == "questions.txt":
            continue
        conv = name[:-4]
        session, turn, date = 0, 0, None
        for line in open(os.path.join(HERE, name), encoding="utf-8"):
            line = line.rstrip("\n")
            if line.startswith("## session "):
                session, turn, date = session + 1, 0, line.split()[2]
            elif line and not line.startswith("#"):
                speaker, text = line.split(": ", 1)
                turn += 1
                turns.append((f"{conv}:{session}:{turn}", speaker, text, date, conv))
    return turns


def questions():
    out = []
    for line in open(os.path.join(HERE, "questions.txt"), encoding="utf-8"):
        if line.startswith("#") or not line.strip():
            continue
        q, evidence = line.rsplit("|", 1)
        out.append((q.strip(), evidence.split()))
    return out


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    show = "--show" in sys.argv
    engram = args[0] if args else "target/release/engram"
    turns = conversations()
    text = {t[0]: f"{t[1]}: {t[2]}" for t in turns}
    with tempfile.TemporaryDirectory() as d:
        db = os.path.join(d, "eval.db")
        memories = os.path.join(d, "turns.jsonl")
        with open(memories, "w", encoding="utf-8") as f:
            for id, speaker, words, date, conv in turns:
                f.write(json.dumps({"kind": "memory", "id": id, "type": "turn", "title": words,
                                    "tags": [speaker], "project": conv, "time": date}) + "\n")
        run = lambda *a: subprocess.run([engram, "--db", db, *a], capture_output=True,
                                        text=True, check=True).stdout
        run("init")
        run("load", memories)
        found5 = found10 = total = 0
        sess5 = sess_total = 0
        took = []
        for q, evidence in questions():
            start = time.perf_counter()
            out = run("recall", "--format", "json", "--limit", "10", q)
            took.append(time.perf_counter() - start)
            hits = [h["id"] for h in json.loads(out)]
            found5 += sum(e in hits[:5] for e in evidence)
            found10 += sum(e in hits[:10] for e in evidence)
            total += len(evidence)
            sessions = {e.rsplit(":", 1)[0] for e in evidence}
            top5 = {h.rsplit(":", 1)[0] for h in hits[:5]}
            sess5 += len(sessions & top5)
            sess_total += len(sessions)
            if show:
                print(f"? {q}")
                for e in evidence:
                    mark = "5" if e in hits[:5] else "10" if e in hits[:10] else "-"
                    print(f"  [{mark:>2}] {e}  {text[e]}")
                for h in hits[:5]:
                    print(f"        {h}  {text.get(h, '')}")
        took.sort()
        print(json.dumps({
            "turns": len(turns), "questions": len(questions()),
            "turn_recall@5": round(found5 / total, 3), "turn_recall@10": round(found10 / total, 3),
            "session_recall@5": round(sess5 / sess_total, 3),
            "recall_ms_p50": round(1000 * took[len(took) // 2], 1),
        }))


if __name__ == "__main__":
    main()
