"""Type stubs of engram's extension module (re-exported as ``engram``)."""

import datetime
import os
from typing import (
    Any,
    Callable,
    Dict,
    Iterable,
    Iterator,
    List,
    Literal,
    Mapping,
    Optional,
    Tuple,
    TypedDict,
    Union,
    overload,
)


__version__: str

#: A value of a fact: a symbol, a number (signed, or unsigned past 2**63 - 1) or a float.
Value = Union[str, int, float]
#: A value as given from Python: a ``datetime`` is unix milliseconds (a naive one read as UTC).
ValueIn = Union[str, int, float, datetime.datetime]
#: A time as given from Python: a ``datetime``, unix milliseconds or ISO 8601 text.
TimeIn = Union[datetime.datetime, int, str]
PathLike = Union[str, "os.PathLike[str]"]

class CommitReport(TypedDict):
    """What a commit did."""

    generation: int
    asserted: int
    retracted: int
    added: int
    removed: int
    changed: int
    rederived: bool

class Error(Exception):
    """Any of engram's errors (an I/O failure is an ``OSError`` instead)."""

class ParseError(Error):
    """Rule, query or fact text with a syntax error, placed in its file."""

    file: Optional[str]
    line: Optional[int]
    column: Optional[int]
    message: Optional[str]
    #: ``file:line:column: error: message``, the source line and a caret under the place.
    caret: Optional[str]
    #: Every error, each a dict with the keys above.
    errors: List[Dict[str, Any]]

class PlanError(Error):
    """Text that parses but is not a valid program or query; placed as ``ParseError`` is."""

    file: Optional[str]
    line: Optional[int]
    column: Optional[int]
    message: Optional[str]
    caret: Optional[str]
    errors: List[Dict[str, Any]]

class FactError(Error):
    """A fact that does not fit its relation (wrong arity or column type)."""

    relation: str

class EvaluationError(Error):
    """Evaluation stopped: a bound was passed. A store is left at its last commit."""

class StoreError(Error):
    """A store could not be opened, read or changed."""

class NotAStoreError(StoreError):
    """The directory holds no engram store."""

    path: os.PathLike[str]

class StoreExistsError(StoreError):
    """A store (or other files) already exists where one was to be created."""

    path: os.PathLike[str]

class LockedError(StoreError):
    """Another process holds the store's writer lock."""

    path: os.PathLike[str]
    pid: int

class ReadOnlyError(StoreError):
    """A change was asked of a store opened read-only."""

    path: os.PathLike[str]

class CorruptStoreError(StoreError):
    """A store file is damaged: ``path`` names it, ``what`` says what is wrong."""

    path: os.PathLike[str]
    what: str

class MemoryFileError(Error):
    """A memory file with a bad line or entry: nothing of it was loaded."""

    at: Union[str, int]
    message: str

class RefusedError(Error):
    """A change to the memory refused for what it was given."""

class Row:
    """A fact or a query answer with its metadata; unpacks and indexes like its values."""

    values: Tuple[Value, ...]
    confidence: float
    depth: int
    #: ``"asserted"``, or the rule of its best derivation (``@name``, or ``file:line``).
    rule: str
    #: When it was asserted or derived (an aware ``datetime`` in UTC), or ``None``.
    time: Optional[datetime.datetime]
    def __len__(self) -> int: ...
    def __getitem__(self, i: int) -> Value: ...
    def __iter__(self) -> Iterator[Value]: ...
    def to_dict(self) -> Dict[str, Any]:
        """The row as a dict: ``values`` (a list), ``confidence``, ``depth``, ``rule``, ``time``."""

class Proof:
    """A proof tree: the fact, its confidence, depth, rule and the premises' proofs."""

    fact: str
    confidence: float
    depth: int
    rule: str
    premises: List["Proof"]
    time: Optional[datetime.datetime]
    #: The tree as the CLI prints it.
    text: str
    truncated: bool
    def to_dict(self) -> Dict[str, Any]:
        """The proof as nested dicts: ``fact``, ``confidence``, ``depth``, ``rule``, ``premises``."""

class WhyNot:
    """Why a fact does not hold: per rule, the premise missing, the negation blocking it or
    the bound that cut it."""

    fact: str
    holds: Optional[Proof]
    text: str
    def to_dict(self) -> Dict[str, Any]:
        """The explanation as nested dicts."""

class Hit:
    """A recall hit with why it was recalled."""

    id: str
    kind: Literal["memory", "entity"]
    type: str
    title: str
    score: float
    relevance: float
    matched: List[str]
    #: The relations that reached it: dicts with ``from``, ``relation``, ``to``,
    #: ``confidence`` and ``rule``.
    path: List[Dict[str, Any]]
    snippet: Optional[str]
    beside: Optional[str]
    why: str

class Violation:
    """A violation of an integrity constraint, with its proof."""

    constraint: str
    bindings: Dict[str, Value]
    confidence: float
    title: str
    proof: Proof

class Transaction:
    """Facts added and retracted together: committed at the end of a ``with`` block (or by
    ``commit()``), discarded when the block raises (or by ``rollback()``)."""

    def add(
        self,
        relation: str,
        values: Union[Iterable[ValueIn], ValueIn],
        confidence: float = 1.0,
        time: Optional[TimeIn] = None,
    ) -> None:
        """Asserts a fact."""
    def add_many(
        self, relation: str, rows: Iterable[Iterable[ValueIn]], confidence: float = 1.0
    ) -> int:
        """Asserts many facts of one relation; returns how many."""
    def add_text(self, text: str) -> None:
        """Asserts facts written as text: ``'edge("a", "b") @ 0.9.'``."""
    def retract(self, relation: str, values: Union[Iterable[ValueIn], ValueIn]) -> None:
        """Takes back an asserted fact."""
    def retract_text(self, text: str) -> None:
        """Takes back asserted facts written as text."""
    def commit(self) -> CommitReport:
        """Commits everything given; on an error nothing is committed."""
    def rollback(self) -> None:
        """Discards everything given."""
    def __len__(self) -> int: ...
    def __enter__(self) -> "Transaction": ...
    def __exit__(self, exc_type: Any, exc: Any = None, traceback: Any = None) -> bool: ...

class Store:
    """A store of facts, rules and everything derived from them.

    ``Store(path)`` opens the store at ``path``, creating it with the standard memory rules
    when there is none. Each call sees the latest commit of any process; a change holds the
    writer lock only while it commits. Threads may share a ``Store``.
    """

    def __init__(self, path: PathLike) -> None: ...
    @staticmethod
    def in_memory(default_rules: bool = False) -> "Store":
        """A store in memory: empty, or with the standard memory rules."""
    @staticmethod
    def create(path: PathLike, default_rules: bool = False) -> "Store":
        """Creates a store in a new or empty directory."""
    @staticmethod
    def open(path: PathLike) -> "Store":
        """Opens an existing store (``NotAStoreError`` when there is none)."""
    @staticmethod
    def open_read_only(path: PathLike) -> "Store":
        """Opens an existing store to read only."""
    @property
    def path(self) -> Optional[os.PathLike[str]]: ...
    @property
    def read_only(self) -> bool: ...
    @property
    def generation(self) -> int: ...
    #: Seconds a change waits for another process's writer lock (10 unless set).
    lock_wait: float
    def close(self) -> None:
        """Closes the store; a later call raises ``StoreError``."""
    def __enter__(self) -> "Store": ...
    def __exit__(self, *args: Any) -> bool: ...
    def transaction(self) -> Transaction:
        """A transaction on the store."""
    def add(
        self,
        relation: str,
        values: Union[Iterable[ValueIn], ValueIn],
        confidence: float = 1.0,
        time: Optional[TimeIn] = None,
    ) -> CommitReport:
        """Asserts one fact and commits."""
    def add_text(self, text: str) -> CommitReport:
        """Asserts facts written as text and commits."""
    def retract(self, relation: str, values: Union[Iterable[ValueIn], ValueIn]) -> CommitReport:
        """Takes back one asserted fact and commits."""
    def retract_text(self, text: str) -> CommitReport:
        """Takes back asserted facts written as text and commits."""
    def add_rules(self, name: str, text: str) -> CommitReport:
        """Adds (or replaces) a rule file and re-derives."""
    def remove_rules(self, name: str) -> CommitReport:
        """Removes a rule file and re-derives."""
    def rules(self) -> Dict[str, str]:
        """The rule files: name to text."""
    def infer(self) -> CommitReport:
        """Re-derives everything."""
    def query(self, text: str) -> List[Row]:
        """The answers of one query (``'?- path("a", x).'``, or without ``?-``)."""
    def facts(self, relation: str) -> List[Row]:
        """Every fact of a relation, sorted by value."""
    def relations(self) -> Dict[str, List[Tuple[str, str]]]:
        """The relations with their ``(column, type)`` lists."""
    def explain(
        self, fact: str, values: Optional[Iterable[ValueIn]] = None
    ) -> Optional[Proof]:
        """The proof of a fact (``'path("a", "c")'``, or ``"path", ("a", "c")``), or ``None``."""
    def why_not(self, fact: str, values: Optional[Iterable[ValueIn]] = None) -> WhyNot:
        """Why a fact does not hold (given as to ``explain``)."""
    def recall(self, question: str, depth: int = 2, limit: int = 10) -> List[Hit]:
        """The memories and entities that answer a question, best first, each with why."""
    def violations(self, constraint: Optional[str] = None) -> List[Violation]:
        """The integrity constraints' violations, each with its proof."""
    def stats(self) -> Dict[str, Any]:
        """Facts per relation (asserted and derived), files and bytes."""
    def cleanup(
        self, min_confidence: float, max_age_days: float, dry_run: bool = False
    ) -> Dict[str, Any]:
        """Forgets weak, old derived facts: ``{"forgotten": [(relation, Row)], "commit"}``."""
    def compact(self) -> Dict[str, int]:
        """One sorted run per relation layer: files and bytes before and after."""
    def load(
        self,
        path: PathLike,
        format: Optional[Literal["engram", "mcp-memory", "memorygraph"]] = None,
        *,
        skip_bad: bool = False,
        relation: Optional[str] = None,
        confidence_column: bool = False,
    ) -> Dict[str, Any]:
        """Loads a memory file (or tab-separated rows of ``relation``) in one commit."""
    @overload
    def export(
        self,
        format: Literal["engram", "mcp-memory"] = "engram",
        *,
        inferred_only: bool = False,
        path: None = None,
    ) -> str:
        """The memory as JSON Lines."""
    @overload
    def export(
        self,
        format: Literal["engram", "mcp-memory"] = "engram",
        *,
        inferred_only: bool = False,
        path: PathLike,
    ) -> int:
        """The memory written to ``path`` a line at a time; the number of lines."""
    def remember(
        self,
        title: str,
        content: Optional[str] = None,
        *,
        type: Optional[str] = None,
        tags: Optional[List[str]] = None,
        project: Optional[str] = None,
        importance: Optional[float] = None,
        confidence: Optional[float] = None,
        summary: Optional[str] = None,
        id: Optional[str] = None,
    ) -> Dict[str, Any]:
        """Remembers a memory: ``{"id", "report", "inferred"}``."""
    def relate(
        self, source: str, type: str, target: str, confidence: Optional[float] = None
    ) -> Dict[str, Any]:
        """Relates two memories or entities: ``{"relation", "report"}``."""
    def refresh(self) -> bool:
        """Moves to the latest commit; whether there was one."""

class Relation:
    """A relation of a ``Database``, iterated lazily as tuples in value order."""

    name: str
    columns: List[Tuple[str, str]]
    def __len__(self) -> int: ...
    def __iter__(self) -> "RelationIter": ...
    def __contains__(self, values: Union[Iterable[ValueIn], ValueIn]) -> bool: ...
    def rows(self) -> "RelationIter":
        """The facts as ``Row`` objects, lazily."""
    def get(self, values: Union[Iterable[ValueIn], ValueIn]) -> Optional[Row]:
        """The fact with these values, or ``None``."""
    def to_pandas(self, metadata: bool = False) -> Any:
        """A pandas DataFrame (needs pandas)."""
    def to_polars(self, metadata: bool = False) -> Any:
        """A polars DataFrame (needs polars)."""

class RelationIter(Iterator[Any]):
    """Iterates a relation's facts, decoding each as it is asked for."""

    def __next__(self) -> Any: ...

class Database:
    """What a program derived: ``db["path"]`` is a ``Relation``."""

    def __getitem__(self, name: str) -> Relation: ...
    def __contains__(self, name: str) -> bool: ...
    def relations(self) -> List[str]:
        """The names of the relations."""
    def query(self, text: str) -> List[Row]:
        """The answers of a query over what was derived."""
    def queries(self) -> List[Tuple[str, List[Row]]]:
        """The answers of the program's own ``?-`` queries."""
    def explain(
        self, fact: str, values: Optional[Iterable[ValueIn]] = None
    ) -> Optional[Proof]:
        """The proof of a fact (text, or a relation and its values), or ``None``."""
    def why_not(self, fact: str, values: Optional[Iterable[ValueIn]] = None) -> WhyNot:
        """Why a fact does not hold (given as to ``explain``)."""
    def violations(self, constraint: Optional[str] = None) -> List[Violation]:
        """The integrity constraints' violations."""
    def write_outputs(self, directory: PathLike) -> None:
        """Writes the ``.output`` relations into ``directory``."""

class Program:
    """A compiled Datalog program; a syntax or plan error raises at construction."""

    def __init__(self, text: str, file: str = "program.dl") -> None: ...
    @staticmethod
    def from_file(path: PathLike) -> "Program":
        """Reads and compiles a program file."""
    def evaluate(
        self,
        inputs: Optional[Mapping[str, Iterable[Any]]] = None,
        *,
        facts_dir: Optional[PathLike] = None,
        now: Optional[TimeIn] = None,
        max_facts: Optional[int] = None,
        timeout: Optional[float] = None,
        best_first: bool = False,
    ) -> Database:
        """Evaluates over ``inputs`` (relation to rows: tuples or ``((values...), confidence)``);
        ``best_first`` settles each fact once, in order of confidence, where it can."""
    def with_functor(self, name: str, function: Callable[..., Any]) -> "Program":
        """A copy with the function of ``.functor name(...)`` given (called as ``@name(...)``);
        ``None`` from it gives no value, an exception stops evaluation."""
    def functors(self) -> Dict[str, Tuple[List[str], str, bool]]:
        """The declared functors: parameter types, result type, whether a function is given."""
    def relations(self) -> Dict[str, List[Tuple[str, str]]]:
        """The relations with their ``(column, type)`` lists."""
