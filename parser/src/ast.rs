//! The syntax tree: plain values with byte spans into the source text.

use std::fmt;

/// A half-open byte range `start..end` in the source text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// A span from `start` to `end`.
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }
}

/// A parsed program: its statements in source order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Program {
    /// The statements, in the order they appear.
    pub items: Vec<Item>,
}

/// One top-level statement.
#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    /// `.decl name(attr: type, ...) qualifiers`
    Decl(Decl),
    /// `.type Name <: base` or `.type Name = A | B`
    Type(TypeDecl),
    /// `.input`, `.output`, `.printsize`, `.limitsize`
    Directive(Directive),
    /// `.pragma "key" "value"`
    Pragma(Pragma),
    /// A fact or a rule (a fact is a clause with an empty body).
    Clause(Clause),
    /// `?- body.`
    Query(Query),
    /// engram: `:- body.`, an integrity constraint.
    Integrity(Integrity),
    /// Soufflé's `r(x1) <= r(x2) :- body.`, a subsumption rule.
    Subsumption(Subsumption),
    /// engram: `.include "file.dl"`.
    Include(Include),
    /// Soufflé's `.comp Name<T> : Base { ... }`: a component, instantiated by `.init`.
    Component(Component),
    /// Soufflé's `.init name = Comp<Args>`: an instance of a component.
    Init(Init),
    /// Soufflé's `.functor f(x: number): number`: a user-defined functor.
    Functor(FunctorDecl),
}

/// A user-defined functor's declaration, `.functor f(x: number, s: symbol): number`.
#[derive(Clone, Debug, PartialEq)]
pub struct FunctorDecl {
    /// Its name (called as `@name(...)`).
    pub name: String,
    /// Its parameters' types, in order.
    pub params: Vec<String>,
    /// The type of what it gives.
    pub ret: String,
    /// Soufflé's `stateful` (its C++ function is given the symbol table; for engram's, which
    /// take and give values, it changes nothing).
    pub stateful: bool,
    /// Where it is declared.
    pub span: Span,
}

/// A component: a parameterised group of declarations and rules. Its relations exist only in
/// its instances, named `<instance>.<relation>` (see `Program::expand_components`).
#[derive(Clone, Debug, PartialEq)]
pub struct Component {
    /// Its name.
    pub name: String,
    /// Its type parameters (`T` of `.comp Graph<T>`).
    pub params: Vec<String>,
    /// The components it inherits from, with their arguments.
    pub bases: Vec<CompRef>,
    /// What it holds: declarations, rules, facts, directives, and nested components and
    /// instances.
    pub items: Vec<Item>,
    /// `.override R`: the relations whose inherited rules it replaces.
    pub overrides: Vec<(String, Span)>,
    /// Where its header is written.
    pub span: Span,
}

/// A component named with its arguments: `Graph<number>`.
#[derive(Clone, Debug, PartialEq)]
pub struct CompRef {
    /// The component (or a type parameter that stands for one).
    pub name: String,
    /// Its arguments: types, or components.
    pub args: Vec<String>,
    /// Where it is written.
    pub span: Span,
}

/// `.init name = Comp<Args>`.
#[derive(Clone, Debug, PartialEq)]
pub struct Init {
    /// The instance's name, the prefix of its relations.
    pub name: String,
    /// What it instantiates.
    pub comp: CompRef,
    /// Where it is written.
    pub span: Span,
}

/// `.include "file.dl"`: another file of the program, named relative to this one.
#[derive(Clone, Debug, PartialEq)]
pub struct Include {
    /// The file as written.
    pub path: String,
    /// Where it is written.
    pub span: Span,
}

/// An integrity constraint: a body whose matches are violations.
#[derive(Clone, Debug, PartialEq)]
pub struct Integrity {
    /// Annotations written before it (`@name(...)`).
    pub annotations: Vec<Annotation>,
    /// The body as a disjunction of conjunctions.
    pub body: Vec<Vec<Literal>>,
    /// Where it is written.
    pub span: Span,
}

/// Soufflé's subsumption rule, `r(x1) <= r(x2) :- body.`: a fact of `r` matching the
/// dominated atom is removed where a different fact matching the dominating atom holds and
/// the body does (`sp(x, y, c1) <= sp(x, y, c2) :- c2 <= c1.` keeps the shortest path).
#[derive(Clone, Debug, PartialEq)]
pub struct Subsumption {
    /// The atom of the facts removed.
    pub dominated: Atom,
    /// The atom of the facts that remove them (the same relation).
    pub dominating: Atom,
    /// The body as a disjunction of conjunctions; empty when none is written.
    pub body: Vec<Vec<Literal>>,
    /// Soufflé's `.plan` written after it (empty when none is).
    pub plan: Vec<PlanOrder>,
    /// Where it is written.
    pub span: Span,
}

/// One entry of Soufflé's `.plan` after a rule, `1:(2,1,3)`: for version `version` (the one
/// whose `version`-th atom of the rule's own stratum, from 0, reads the last round's facts),
/// the order in which its body atoms are joined (positions among the positive atoms, from 1).
#[derive(Clone, Debug, PartialEq)]
pub struct PlanOrder {
    /// The version.
    pub version: usize,
    /// The atoms' positions, in join order.
    pub atoms: Vec<usize>,
    /// Where the order `(...)` is written.
    pub span: Span,
}

/// A relation declaration.
#[derive(Clone, Debug, PartialEq)]
pub struct Decl {
    /// Relation name.
    pub name: String,
    /// Its columns.
    pub attributes: Vec<Attribute>,
    /// Qualifiers such as `eqrel`, `inline`, `output`.
    pub qualifiers: Vec<String>,
    /// engram: the combination policy named by `combine(...)`, and where it is written.
    pub combine: Option<(String, Span)>,
    /// engram: the key columns named by `functional(...)` (one fact per key, the newest),
    /// and where it is written.
    pub functional: Option<(Vec<String>, Span)>,
    /// Soufflé's `choice-domain`: each domain's columns, and where it is written.
    pub choice: Option<(Vec<Vec<String>>, Span)>,
    /// Where it is declared.
    pub span: Span,
}

/// One column of a relation declaration.
#[derive(Clone, Debug, PartialEq)]
pub struct Attribute {
    /// Column name.
    pub name: String,
    /// Type name as written.
    pub ty: String,
    /// Where the type name is written.
    pub span: Span,
}

/// A type declaration.
#[derive(Clone, Debug, PartialEq)]
pub struct TypeDecl {
    /// The new type's name.
    pub name: String,
    /// What it is made of.
    pub def: TypeDef,
    /// Where it is declared.
    pub span: Span,
}

/// The right-hand side of a type declaration.
#[derive(Clone, Debug, PartialEq)]
pub enum TypeDef {
    /// `<: base` (also the legacy `.symbol_type` / `.number_type`).
    Subtype(String),
    /// `= A | B | ...` (one member is an alias).
    Union(Vec<String>),
    /// `= [a: T, b: U]`: a record type (Soufflé's), its fields in order.
    Record(Vec<Attribute>),
    /// `= A {x: T} | B {}`: an algebraic data type (Soufflé's), its branches in order.
    Adt(Vec<Branch>),
}

/// One branch of an algebraic data type, `A {x: number, y: T}`.
#[derive(Clone, Debug, PartialEq)]
pub struct Branch {
    /// Its name (`$A(...)` makes a value of it).
    pub name: String,
    /// Its fields in order.
    pub fields: Vec<Attribute>,
}

/// The kind of an I/O directive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DirectiveKind {
    /// `.input`
    Input,
    /// `.output`
    Output,
    /// `.printsize`
    PrintSize,
    /// `.limitsize`
    LimitSize,
    /// engram: `.merge`, an eqrel whose classes are identities.
    Merge,
}

/// An I/O directive for one or more relations.
#[derive(Clone, Debug, PartialEq)]
pub struct Directive {
    /// Which directive.
    pub kind: DirectiveKind,
    /// The relations it names.
    pub relations: Vec<(String, Span)>,
    /// `key=value` parameters, values unquoted.
    pub params: Vec<(String, String)>,
    /// Where it is written.
    pub span: Span,
}

/// `.pragma "key" "value"`.
#[derive(Clone, Debug, PartialEq)]
pub struct Pragma {
    /// The key.
    pub key: String,
    /// The value (empty when absent).
    pub value: String,
    /// Where it is written.
    pub span: Span,
}

/// A fact or a rule: one or more heads and a body in disjunctive normal form.
#[derive(Clone, Debug, PartialEq)]
pub struct Clause {
    /// engram: annotations written before the clause (`@name(...)`, `@weight(...)`, ...).
    pub annotations: Vec<Annotation>,
    /// The head atoms (Soufflé allows several).
    pub heads: Vec<Atom>,
    /// engram: the confidence after the heads: a fact's `@ 0.8`, or a rule's head expression.
    pub confidence: Option<Expr>,
    /// engram: a fact's time after the heads: `~ "2026-11-01T10:00:00Z"` or milliseconds.
    pub time: Option<Expr>,
    /// The body as a disjunction of conjunctions; empty for a fact.
    pub body: Vec<Vec<Literal>>,
    /// Soufflé's `.plan` written after the rule (empty when none is).
    pub plan: Vec<PlanOrder>,
    /// Where the clause is written.
    pub span: Span,
}

/// An annotation before a clause, such as `@weight(0.9)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Annotation {
    /// Its name, without the `@`.
    pub name: String,
    /// Its argument, if any.
    pub arg: Option<AnnotationArg>,
    /// Where it is written.
    pub span: Span,
}

/// The argument of an annotation.
#[derive(Clone, Debug, PartialEq)]
pub enum AnnotationArg {
    /// An integer such as `3`.
    Int(i64),
    /// A decimal such as `0.9`.
    Float(f64),
    /// A string such as `"transitive"`.
    Str(String),
    /// A bare word such as `min`.
    Ident(String),
}

impl fmt::Display for AnnotationArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AnnotationArg::Int(i) => write!(f, "{i}"),
            AnnotationArg::Float(x) => write!(f, "{x}"),
            AnnotationArg::Str(s) => write!(f, "{s:?}"),
            AnnotationArg::Ident(s) => f.write_str(s),
        }
    }
}

/// `?- body.`: answers are printed as a table.
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    /// The body as a disjunction of conjunctions.
    pub body: Vec<Vec<Literal>>,
    /// Where the query is written.
    pub span: Span,
}

/// A relation applied to arguments.
#[derive(Clone, Debug, PartialEq)]
pub struct Atom {
    /// Relation name.
    pub name: String,
    /// Arguments.
    pub args: Vec<Expr>,
    /// engram: `@ c` after a body atom binds its fact's confidence to the variable `c`.
    pub conf_var: Option<(String, Span)>,
    /// engram: `~ t` after a body atom binds its fact's time (milliseconds since the epoch)
    /// to the variable `t`.
    pub time_var: Option<(String, Span)>,
    /// Where the atom is written.
    pub span: Span,
}

/// A body literal.
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    /// A positive atom.
    Atom(Atom),
    /// `!atom`.
    Negated(Atom),
    /// `left op right`.
    Compare(Comparison),
    /// `true` or `false`.
    Bool(bool, Span),
}

/// A comparison between two expressions.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    /// The operator.
    pub op: CmpOp,
    /// Left operand.
    pub left: Expr,
    /// Right operand.
    pub right: Expr,
    /// Where it is written.
    pub span: Span,
}

/// Comparison operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CmpOp {
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl CmpOp {
    /// The operator that holds exactly when this one does not.
    pub fn negate(self) -> CmpOp {
        match self {
            CmpOp::Eq => CmpOp::Ne,
            CmpOp::Ne => CmpOp::Eq,
            CmpOp::Lt => CmpOp::Ge,
            CmpOp::Le => CmpOp::Gt,
            CmpOp::Gt => CmpOp::Le,
            CmpOp::Ge => CmpOp::Lt,
        }
    }
}

impl fmt::Display for CmpOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        })
    }
}

/// An expression (a term) with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Where it is written.
    pub span: Span,
}

/// The kinds of expression.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// A named variable.
    Var(String),
    /// `_`.
    Wildcard,
    /// `$`: Soufflé's auto-increment counter.
    Counter,
    /// A signed integer literal (also usable as unsigned or float by context).
    Int(i64),
    /// An unsigned literal with the `u` suffix.
    Unsigned(u64),
    /// A float literal.
    Float(f64),
    /// A string literal, escapes resolved.
    Str(String),
    /// A unary operator applied to an operand.
    Unary(UnaryOp, Box<Expr>),
    /// A binary operator.
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    /// A built-in functor call such as `cat(a, b)`.
    Call(String, Vec<Expr>),
    /// A user-defined functor's call, `@f(a, b)`.
    UserCall(String, Vec<Expr>),
    /// An aggregate `func expr : { body }`.
    Aggregate(Box<Aggregate>),
    /// A record, `[x, y]` (Soufflé's).
    Record(Vec<Expr>),
    /// The empty record, `nil`.
    Nil,
    /// A value of an ADT's branch, `$Name(x, y)`.
    Branch(String, Vec<Expr>),
}

/// Unary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    /// `-x`
    Neg,
    /// `bnot x`
    BNot,
    /// `lnot x`
    LNot,
}

/// Binary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Mod,
    /// `^` (power, right-associative)
    Pow,
    /// `band`
    BAnd,
    /// `bor`
    BOr,
    /// `bxor`
    BXor,
    /// `bshl`
    Shl,
    /// `bshr` (arithmetic)
    Shr,
    /// `bshru` (logical)
    ShrU,
    /// `land`
    LAnd,
    /// `lor`
    LOr,
}

/// Aggregate functions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AggFunc {
    /// `count`
    Count,
    /// `sum`
    Sum,
    /// `min`
    Min,
    /// `max`
    Max,
    /// `mean`
    Mean,
}

/// `func target : { body }`.
#[derive(Clone, Debug, PartialEq)]
pub struct Aggregate {
    /// The function.
    pub func: AggFunc,
    /// What is aggregated (absent for `count`).
    pub target: Option<Expr>,
    /// The inner body (a conjunction).
    pub body: Vec<Literal>,
}
