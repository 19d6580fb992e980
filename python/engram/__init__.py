"""engram: a Datalog engine for the long-term memory of AI agents.

Facts (memories, entities, typed relations) go into a ``Store``; rule files written in
Soufflé's Datalog dialect derive new facts, each with a confidence, the rule that made it, a
depth and a proof. ``Program`` evaluates a program on its own, over Python rows.

>>> import engram
>>> store = engram.Store.in_memory()
>>> _ = store.add_rules("paths", '''
...     .decl link(x: symbol, y: symbol)
...     .decl reach(x: symbol, y: symbol)
...     reach(x, y) :- link(x, y).
...     @name("transitive") @weight(0.9)
...     reach(x, z) :- link(x, y), reach(y, z).
... ''')
>>> with store.transaction() as tx:
...     tx.add("link", ("a", "b"), confidence=0.5)
...     tx.add("link", ("b", "c"))
>>> [(r.values, round(r.confidence, 2), r.rule) for r in store.query('?- reach("a", x).')]
[(('b',), 0.5, 'paths:4'), (('c',), 0.45, 'transitive')]
>>> print(store.explain('reach("a", "c")'))
reach("a", "c")  @ 0.450000  depth 2  transitive
├── link("a", "b")  @ 0.500000  depth 0  asserted
└── reach("b", "c")  @ 1.000000  depth 1  paths:4
    └── link("b", "c")  @ 1.000000  depth 0  asserted
"""

from ._engram import (
    CorruptStoreError,
    Database,
    Error,
    EvaluationError,
    FactError,
    Hit,
    LockedError,
    MemoryFileError,
    NotAStoreError,
    ParseError,
    PlanError,
    Program,
    Proof,
    ReadOnlyError,
    RefusedError,
    Relation,
    RelationIter,
    Row,
    Store,
    StoreError,
    StoreExistsError,
    Transaction,
    Violation,
    WhyNot,
    __version__,
)

__all__ = [
    "CorruptStoreError",
    "Database",
    "Error",
    "EvaluationError",
    "FactError",
    "Hit",
    "LockedError",
    "MemoryFileError",
    "NotAStoreError",
    "ParseError",
    "PlanError",
    "Program",
    "Proof",
    "ReadOnlyError",
    "RefusedError",
    "Relation",
    "RelationIter",
    "Row",
    "Store",
    "StoreError",
    "StoreExistsError",
    "Transaction",
    "Violation",
    "WhyNot",
    "__version__",
]
